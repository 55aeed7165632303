import { afterEach, describe, expect, it } from 'vitest';
import { type Reply, textReply } from '../support/fake-anthropic.js';
import { isFeedbackPrompt } from '../support/feedback.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { rng } from '../support/seeded-random.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';

const ANSWER = [
  '## Data Engineering Solution: Fault-tolerant ingestion',
  '### Data Architecture',
  '- Append-only raw layer, partitioned by ingestion date; curated layer merged by natural key.',
  '### Implementation Plan',
  '- Airflow DAG: extract → validate → merge, each step idempotent so retries are safe.',
  '### Quality Assurance',
  '- Row counts reconciled per batch; null-rate and freshness checks alert the on-call engineer.',
  '### Code/Configuration',
  '```sql',
  'MERGE INTO curated.orders t USING staging.orders s ON t.order_id = s.order_id',
  'WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *;',
  '```',
].join('\n');

const TASKS = 50;
const CHANNELS = 10;

/**
 * Under injected faults — Claude answers 529 on 30% of calls and breaks mid-stream on 10%, Slack
 * answers 429 on 20% of calls — 50 tasks and a follow-up on each must all end answered exactly once.
 */
describe('fault injection', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('answers every task and follow-up exactly once under 529s, broken streams and 429s', async () => {
    h = await startHarness({
      env: { MAX_CONCURRENT_GENERATIONS: '25' },
      tuning: {
        anthropicStreamRetries: 50,
        slackCallPolicy: { rateLimitWaits: 30, transientRetries: 2, baseDelayMs: 10 },
      },
    });
    const channels = Array.from({ length: CHANNELS }, (_, i) => `C0FAULT${String(i).padStart(2, '0')}`);
    for (const channel of channels) h.slack.addChannel(channel, { member: true });
    const claude = rng(529);
    h.anthropic.setDefault((): Reply => {
      const roll = claude();
      if (roll < 0.3) return { kind: 'error', status: 529, type: 'overloaded_error' };
      if (roll < 0.4) {
        return {
          kind: 'message',
          content: [{ type: 'text', text: ANSWER }],
          midStreamError: { afterChars: 50 + Math.floor(claude() * 400) },
        };
      }
      return textReply(ANSWER);
    });
    h.slack.injectRateLimits(0.2, rng(429));

    for (let i = 0; i < TASKS; i++) {
      const response = await h.command(`design ingestion #${i}`, {
        channel_id: channels[i % CHANNELS] as string,
      });
      expect(response.status).toBe(200);
    }
    await h.app.idle();

    const parents = h.slack.messages.filter((m) => m.bot_id && !m.thread_ts);
    expect(parents).toHaveLength(TASKS);
    // A follow-up in every thread, delivered as Slack does (and once more as a retry).
    for (const [i, parent] of parents.entries()) {
      const reply = h.slack.seedMessage({
        channel: parent.channel,
        user: 'U0ANA0001',
        text: 'And for refunds?',
        thread_ts: parent.ts,
      });
      const event = {
        type: 'message',
        channel: parent.channel,
        channel_type: 'channel',
        user: 'U0ANA0001',
        text: 'And for refunds?',
        ts: reply.ts,
        thread_ts: parent.ts,
      };
      for (const retry of [undefined, '1']) {
        await postSigned(`${h.app.url}/slack/events`, eventEnvelope(event, { event_id: `EvFault${i}` }), {
          signingSecret: TEST_SECRETS.signingSecret,
          contentType: 'application/json',
          headers: retry ? { 'x-slack-retry-num': retry } : {},
        });
      }
    }
    await h.app.idle();

    const statuses = h.query<{ status: string; n: number }>(
      'select status, count(*) as n from tasks group by status',
    );
    expect(statuses).toEqual([{ status: 'done', n: TASKS }]);
    for (const parent of parents) {
      const answers = h.slack.messages.filter(
        // 👍/👎 come in a message of their own after an answer rewritten with chat.update.
        (m) => m.thread_ts === parent.ts && m.ts !== parent.ts && m.bot_id && !isFeedbackPrompt(m),
      );
      expect(answers.map((m) => m.markdown_text?.trim())).toEqual([ANSWER, ANSWER]);
      expect(answers.every((m) => m.streaming_state !== 'in_progress')).toBe(true);
    }
    // The faults really happened.
    expect(h.anthropic.requests.filter((r) => r.status === 529).length).toBeGreaterThan(10);
    expect(h.slack.calls.filter((c) => c.httpStatus === 429).length).toBeGreaterThan(10);
  }, 120_000);
});
