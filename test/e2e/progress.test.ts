import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collaborationRound, sqlToolRound } from '../support/fake-anthropic/canned.js';
import { type MessageReply, textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID, type FakeMessage } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

/**
 * Issue 16, item 2: while the agent works, its answer shows its steps the way Slack's own agents do
 * (task_update chunks on the streamed answer, laid out as a plan), and falls back to the thread
 * status where Slack refuses those chunks.
 */

const CHANNEL = 'C0DATA001';
const ADMIN = 'U0ADMIN01';
const ANA = 'U0ANA0001';
const SAM = 'U0SAM0001';

const SECURITY_ASK = {
  role: 'security',
  topic: 'PII encryption for the orders mart',
  request: 'Provide a KMS key per environment and column-level grants for the email and phone columns.',
  reason: 'The orders mart stores customer emails and phone numbers.',
};
const DEVOPS_ASK = {
  role: 'devops',
  topic: 'An S3 bucket for the raw layer',
  request: 'Provision an S3 bucket with versioning for the raw layer, one per environment.',
  reason: 'The raw layer lands in S3.',
};
const REST = '### Data Architecture\nEncrypted columns, masked views.\n';

interface TaskChunk {
  type: 'task_update';
  id: string;
  title: string;
  status: string;
  details?: string;
}

const taskChunks = (message: FakeMessage | undefined): TaskChunk[] =>
  (message?.chunks ?? []).filter((c: { type?: string }) => c.type === 'task_update');

/** Each step's title in the order the steps first appeared. */
const titlesInOrder = (chunks: TaskChunk[]): string[] => [
  ...new Map(chunks.map((c) => [c.id, c.title])).values(),
];

/** Each step's last status. */
const lastStatuses = (chunks: TaskChunk[]): string[] => [
  ...new Map(chunks.map((c) => [c.id, c.status])).values(),
];

/** A model round that only calls request_collaboration (no text before it). */
const askOnly = (input: Record<string, string>): MessageReply => ({
  kind: 'message',
  content: [{ type: 'tool_use', name: 'request_collaboration', input }],
});

describe('progress you can see', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.slack.addUser({ id: ADMIN, is_admin: true });
    for (const id of [ANA, SAM]) h.slack.addUser({ id });
  });
  afterEach(async () => {
    await h.close();
  });

  let events = 0;
  /** Ana mentions the bot in a thread someone else started (so the bot reads it for context). */
  async function mentionInForeignThread(text: string): Promise<string> {
    const parent = h.slack.seedMessage({ channel: CHANNEL, user: SAM, text: 'Our orders table has emails.' });
    const message = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text, thread_ts: parent.ts });
    events += 1;
    const response = await h.event(
      {
        type: 'app_mention',
        channel: CHANNEL,
        channel_type: 'channel',
        user: ANA,
        text,
        ts: message.ts,
        thread_ts: parent.ts,
      },
      { event_id: `EvProgress${events}` },
    );
    expect(response.status).toBe(200);
    return parent.ts;
  }

  const answers = (threadTs: string) =>
    h.slack.threadMessages(CHANNEL, threadTs).filter((m) => m.bot_id && m.markdown_text !== undefined);

  const statuses = () => h.slack.statuses.map((s) => s.status);

  it('shows each step of a task with a collaboration call on the answer, in order, all complete at the end', async () => {
    await h.command(`owners set security <@${SAM}|sam>`, { user_id: ADMIN, channel_id: CHANNEL });
    await h.app.idle();
    // The model asks security, runs its checks, then writes (text written before a tool call would
    // show the writing step before that call, as it happened).
    h.anthropic.script(
      askOnly(SECURITY_ASK),
      sqlToolRound('select 1', 'the quality checks on sample data'),
      textReply(`## Orders mart\n${REST}`),
    );
    const threadTs = await mentionInForeignThread(`<@${FAKE_BOT_USER_ID}> design an orders mart with PII`);
    await h.app.idle();

    const [answer, ...others] = answers(threadTs);
    expect(others).toEqual([]);
    expect(answer?.markdown_text).toBe(`## Orders mart\n${REST}`);
    const steps = taskChunks(answer);
    expect(titlesInOrder(steps)).toEqual([
      'Reading the thread',
      'Asking security',
      'Running the quality checks on sample data',
      'Writing the solution',
    ]);
    expect(lastStatuses(steps)).toEqual(['complete', 'complete', 'complete', 'complete']);
    // The plan's title says it is under way, then done.
    const plans = (answer?.chunks ?? []).filter((c: { type?: string }) => c.type === 'plan_update');
    expect(plans.map((c: { title: string }) => c.title)).toEqual(['Working on your request', 'Done']);
    expect(steps.find((c) => c.title === 'Asking security')?.details).toBe(
      'PII encryption for the orders mart',
    );
    // Each tool step was shown running, then complete, before the step after it started.
    const sequence = steps.map((c) => `${c.id}:${c.status}`);
    expect(sequence.indexOf('tool-1:in_progress')).toBeLessThan(sequence.indexOf('tool-1:complete'));
    expect(sequence.indexOf('tool-1:complete')).toBeLessThan(sequence.indexOf('tool-2:in_progress'));
    expect(sequence.indexOf('tool-2:complete')).toBeLessThan(sequence.indexOf('writing:in_progress'));
    // The steps ride the stream's own writes (laid out as a plan); the last one closes the writing step.
    const streamCalls = h.slack.calls.filter((c) => c.method.endsWith('Stream') && c.args.ts !== undefined);
    expect(h.slack.callsTo('chat.startStream')[0]?.args.task_display_mode).toBe('plan');
    expect(answer?.task_display_mode).toBe('plan');
    expect(JSON.stringify(streamCalls.at(-1)?.args.chunks)).toContain(
      '"id":"writing","title":"Writing the solution","status":"complete"',
    );
    // Every write Slack got for the answer was accepted (no refused chunk).
    for (const call of h.slack.calls.filter((c) => c.method.endsWith('Stream')))
      expect(call.response.ok).toBe(true);
    // The steps were on the answer, so the collaboration step never became a thread status.
    expect(statuses()).not.toContain('is asking security…');
  });

  it('falls back to the thread status where Slack refuses the chunks; the answer still arrives once', async () => {
    h.slack.refuseProgressChunks();
    let release = () => {};
    const refused = new Promise<void>((resolve) => {
      release = resolve;
    });
    h.anthropic.script(
      collaborationRound(SECURITY_ASK, '## Orders mart\n'),
      // The second round comes once Slack has refused the first steps (no race with the first write).
      { ...askOnly(DEVOPS_ASK), gate: refused },
      textReply(REST),
    );
    await h.command('design an orders mart with PII', { user_id: ANA, channel_id: CHANNEL });
    await until(() =>
      h.slack.calls.some((c) => c.method.endsWith('Stream') && c.response?.error === 'invalid_chunks'),
    );
    release();
    await h.app.idle();

    const task = h.query<{ thread_ts: string; status: string }>('select thread_ts, status from tasks')[0];
    expect(task?.status).toBe('done');
    const [answer, ...others] = answers(task?.thread_ts ?? '');
    expect(others).toEqual([]);
    expect(answer?.markdown_text).toBe(`## Orders mart\n${REST}`);
    expect(answer?.streaming_state).toBe('completed');
    // No step reached the message, and after the refusal none was sent again.
    expect(taskChunks(answer)).toEqual([]);
    const refusedCalls = h.slack.calls.filter((c) => c.response?.error === 'invalid_chunks');
    expect(refusedCalls).toHaveLength(1);
    // The step that ran after the refusal was shown as the thread status instead.
    expect(statuses()).toContain('is asking devops…');
  });

  it('falls back to the thread status when Slack refuses streaming altogether', async () => {
    h.slack.refuseStreaming();
    h.anthropic.script(collaborationRound(SECURITY_ASK, '## Orders mart\n'), textReply(REST));
    await h.command('design an orders mart with PII', { user_id: ANA, channel_id: CHANNEL });
    await h.app.idle();
    const task = h.query<{ thread_ts: string; status: string }>('select thread_ts, status from tasks')[0];
    expect(task?.status).toBe('done');
    const [answer, ...others] = answers(task?.thread_ts ?? '');
    expect(others).toEqual([]);
    expect(answer?.markdown_text).toBe(`## Orders mart\n${REST}`);
    expect(statuses()).toContain('is asking security…');
  });

  it('shows a purpose or topic with a broadcast and a hidden link as inert plain text', async () => {
    const trap = '<!channel> ping <https://evil.example/steal|the docs> and <@U0ANA0001> www.evil.example';
    h.anthropic.script(
      collaborationRound({ ...SECURITY_ASK, topic: `${trap} now` }, '## Orders mart\n'),
      sqlToolRound('select 1', `checking ${trap}`),
      textReply(REST),
    );
    await h.command('design an orders mart with PII', { user_id: ANA, channel_id: CHANNEL });
    await h.app.idle();
    const task = h.query<{ thread_ts: string }>('select thread_ts from tasks')[0];
    const [answer] = answers(task?.thread_ts ?? '');
    const steps = taskChunks(answer);
    const ask = steps.find((c) => c.title === 'Asking security');
    const sql = steps.find((c) => c.title.startsWith('Checking'));
    expect(ask?.details).toBeDefined();
    expect(sql).toBeDefined();
    const shown = [ask?.details ?? '', sql?.title ?? '', ...statuses()];
    for (const text of shown) {
      expect(text).not.toMatch(/[<>|]/);
      expect(text).not.toMatch(/https?:|www\.|evil\.example/);
      // A broadcast or a mention stays visible but inert (a zero-width space after the @).
      expect(text).not.toMatch(/@(channel|here|everyone|U0ANA0001)/);
    }
    expect(ask?.details).toContain('@\u200Bchannel');
    expect(ask?.details).toContain('the docs');
    expect(sql?.title.length).toBeLessThanOrEqual(80);
  });
});

describe('progress and the first readable line', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('a step may open the answer early, but its text still starts with a whole line', async () => {
    const heading = '## Data Engineering Solution: Hourly revenue pipeline';
    const answer = `${heading}\n\n### Data Architecture\n- Orders land in raw.orders from CDC.\n`;
    // No deadline in play: only the order of the model's pieces and Slack's writes counts.
    h = await startHarness({ tuning: { slackFirstLineWaitMs: 60_000 } });
    h.slack.addUser({ id: ANA });
    h.slack.addUser({ id: SAM });
    h.anthropic.script(textReply(answer, { tokensPerSecond: 100 }));
    const parent = h.slack.seedMessage({ channel: CHANNEL, user: SAM, text: 'Revenue is computed daily.' });
    const text = `<@${FAKE_BOT_USER_ID}> make it hourly`;
    const message = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text, thread_ts: parent.ts });
    const event = { type: 'app_mention', channel: CHANNEL, channel_type: 'channel', user: ANA, text };
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope({ ...event, ts: message.ts, thread_ts: parent.ts }, { event_id: 'EvProgressFirstLine' }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
    );
    expect(response.status).toBe(200);
    await h.app.idle();

    const [start] = h.slack.callsTo('chat.startStream');
    // The stream opened with the step "Reading the thread", before any text…
    expect(JSON.stringify(start?.args.chunks)).toContain('Reading the thread');
    const streamed = h.slack.threadMessages(CHANNEL, parent.ts).find((m) => m.bot_id && m.chunks);
    // …and the first text it got was the whole heading, never the model's first few characters.
    const firstText = (streamed?.chunks ?? []).find((c: { type?: string }) => c.type === 'markdown_text');
    expect(String(firstText?.text).startsWith(`${heading}\n`)).toBe(true);
    expect(streamed?.markdown_text).toBe(answer);
    expect(titlesInOrder(taskChunks(streamed))).toEqual(['Reading the thread', 'Writing the solution']);
    expect(lastStatuses(taskChunks(streamed))).toEqual(['complete', 'complete']);
  });
});
