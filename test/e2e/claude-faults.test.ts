import { afterEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import { isFeedbackPrompt } from '../support/feedback.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { blockActionsBody, postSigned } from '../support/slack-signing.js';

const CHANNEL = 'C0GENERAL1';
const ANSWER = dataEngineeringAnswer('Resilient pipeline');
type TaskRow = { status: string; failure_reason: string | null };

describe('Claude faults', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  // 👍/👎 come in a message of their own when a retried answer was rewritten with chat.update.
  const replies = () =>
    h.slack.messages.filter(
      (m) => m.channel === CHANNEL && m.thread_ts && m.thread_ts !== m.ts && !isFeedbackPrompt(m),
    );

  it('honours retry-after on a 429, says so in the thread status, and answers once', async () => {
    h = await startHarness();
    h.anthropic.script(
      { kind: 'error', status: 429, type: 'rate_limit_error', retryAfter: 1 },
      textReply(ANSWER),
    );
    await h.command('design a pipeline');
    await h.app.idle();
    const [first, second] = h.anthropic.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(h.slack.statuses.map((s) => s.status)).toContainEqual(expect.stringContaining('is retrying'));
    expect(replies()).toHaveLength(1);
    expect(replies()[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
  });

  it('aborts a stream that stalls and retries it, leaving one complete answer', async () => {
    h = await startHarness({ tuning: { anthropicIdleTimeoutMs: 300 } });
    h.anthropic.script(
      { kind: 'message', content: [{ type: 'text', text: ANSWER }], stallAfterChars: 400 },
      textReply(ANSWER),
    );
    await h.command('design a pipeline');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(2);
    expect(replies()).toHaveLength(1);
    expect(replies()[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
    expect(h.query<TaskRow>('select status from tasks')[0]?.status).toBe('done');
  });

  it('never cuts off a long answer that is still flowing', async () => {
    h = await startHarness({ tuning: { anthropicIdleTimeoutMs: 300 } });
    // About 2.5 s of streaming, far longer than the idle timeout, but never silent for long.
    h.anthropic.script(textReply(ANSWER, { tokensPerSecond: Math.ceil(ANSWER.length / 4 / 2.5) }));
    await h.command('design a pipeline');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(1);
    expect(replies()[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
  });

  it('gives up at the retry deadline with one message and a Retry button that re-queues the task once', async () => {
    h = await startHarness({
      env: { ANTHROPIC_RETRY_DEADLINE_SECONDS: '1' },
      tuning: { anthropicStreamRetries: 100 },
    });
    const overloaded = { kind: 'error' as const, status: 529, type: 'overloaded_error', retryAfter: 2 };
    h.anthropic.script(overloaded, textReply(ANSWER));
    await h.command('design a pipeline');
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(1); // waiting 2 s would pass the 1 s deadline
    expect(h.query<TaskRow>('select status, failure_reason from tasks')[0]).toEqual({
      status: 'failed',
      failure_reason: 'agent_overloaded',
    });
    const [note] = replies();
    expect(note?.text).toContain('overloaded');
    const click = () =>
      postSigned(
        `${h.app.url}/slack/events`,
        blockActionsBody({
          userId: 'U0ANA0001',
          channelId: CHANNEL,
          messageTs: note?.ts ?? '',
          actionId: 'task_retry',
          value: '1',
          responseUrl: h.slack.responseUrl(),
        }),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
      );
    expect((await click()).status).toBe(200);
    expect((await click()).status).toBe(200); // a double click
    await h.app.idle();
    expect(h.anthropic.requests).toHaveLength(2);
    expect(h.query<TaskRow>('select status from tasks')[0]?.status).toBe('done');
    const thread = replies();
    expect(thread).toHaveLength(2);
    expect(thread[0]?.text).toContain('asked me to retry'); // the note lost its button
    expect(JSON.stringify(thread[0]?.blocks)).not.toContain('task_retry');
    expect(thread[1]?.markdown_text?.trim()).toBe(ANSWER.trim());
    expect(h.slack.responses.map((r) => (r.body as { text: string }).text)).toContainEqual(
      expect.stringContaining('nothing to retry'),
    );
  });
});
