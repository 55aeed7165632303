import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { estimateTokens } from '../../src/core/tasks/context-budget.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';
const BEN = 'U0BEN0001';
const MAX_CONTEXT_TOKENS = 4_000;

/**
 * Mentioned at the end of a thread longer than one page of conversations.replies (Slack pages it
 * oldest first, `limit` at a time, with `has_more` and `response_metadata.next_cursor`): the model
 * gets the messages right before the mention, the newest kept first within MAX_CONTEXT_TOKENS.
 */
describe('long threads', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { MAX_CONTEXT_TOKENS: String(MAX_CONTEXT_TOKENS) } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('reads a thread of 450 replies to its end and gives the model the messages right before the mention', async () => {
    const root = h.slack.seedMessage({ channel: CHANNEL, user: BEN, text: 'The orders export takes 3h' });
    for (let i = 1; i <= 449; i++) {
      h.slack.seedMessage({
        channel: CHANNEL,
        user: i % 2 ? BEN : ANA,
        text: `reply number ${i} about the export`,
        thread_ts: root.ts,
      });
    }
    const text = `<@${FAKE_BOT_USER_ID}> can you propose a fix?`;
    const mention = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text, thread_ts: root.ts });
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(
        { type: 'app_mention', channel: CHANNEL, user: ANA, text, ts: mention.ts, thread_ts: root.ts },
        { event_id: 'EvLongThread' },
      ),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
    );
    expect(response.status).toBe(200);
    await h.app.idle();

    // Three pages of 200, each after the previous one's cursor.
    const reads = h.slack.callsTo('conversations.replies');
    expect(reads.map((r) => r.args.cursor === undefined)).toEqual([true, false, false]);
    expect(reads.at(-1)?.response).toMatchObject({ has_more: false });

    const content = h.anthropic.requests[0]?.body.messages[0].content as string;
    for (const i of [449, 448, 420]) expect(content).toContain(`reply number ${i} about`);
    expect(content).toContain('The orders export takes 3h'); // the thread's opening message
    expect(content).not.toContain('reply number 10 about');
    expect(content).toMatch(/\(\d+ earlier messages left out\)/);
    expect(content.endsWith('My request: can you propose a fix?')).toBe(true);
    // Within its share of MAX_CONTEXT_TOKENS.
    expect(estimateTokens(content)).toBeLessThanOrEqual(MAX_CONTEXT_TOKENS / 2);
    expect(h.slack.threadMessages(CHANNEL, root.ts).filter((m) => m.bot_id)).toHaveLength(1);
  });
});

/** A thread longer than the pages kept (lowered to two here): the newest pages before the mention count. */
describe('threads longer than the pages kept', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      env: { MAX_CONTEXT_TOKENS: String(MAX_CONTEXT_TOKENS) },
      tuning: { slackThreadPaging: { pagesKept: 2 } },
    });
  });
  afterEach(async () => {
    await h.close();
  });

  /** A thread of `replies` replies, the mention, then `after` replies posted after the mention. */
  async function mentionedInThread(replies: number, after = 0) {
    const root = h.slack.seedMessage({ channel: CHANNEL, user: BEN, text: 'The orders export takes 3h' });
    const reply = (text: string, i: number) =>
      h.slack.seedMessage({ channel: CHANNEL, user: i % 2 ? BEN : ANA, text, thread_ts: root.ts });
    for (let i = 1; i <= replies; i++) reply(`reply number ${i} about the export`, i);
    const text = `<@${FAKE_BOT_USER_ID}> can you propose a fix?`;
    const mention = h.slack.seedMessage({ channel: CHANNEL, user: ANA, text, thread_ts: root.ts });
    for (let i = 1; i <= after; i++) reply(`later reply ${i} after the mention`, i);
    return {
      mention,
      deliver: () =>
        postSigned(
          `${h.app.url}/slack/events`,
          eventEnvelope(
            { type: 'app_mention', channel: CHANNEL, user: ANA, text, ts: mention.ts, thread_ts: root.ts },
            { event_id: 'EvLongerThread' },
          ),
          { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
        ),
    };
  }
  const firstTurn = () => h.anthropic.requests[0]?.body.messages[0].content as string;

  it('reads up to the mention and keeps its newest pages, not the oldest', async () => {
    const { mention, deliver } = await mentionedInThread(999, 300);
    expect((await deliver()).status).toBe(200);
    await h.app.idle();

    // Up to the mention, inclusive: the 300 replies after it are never read.
    const reads = h.slack.callsTo('conversations.replies');
    expect(reads).toHaveLength(6); // 1 + 999 + the mention, 200 a page
    for (const read of reads) {
      expect(read.args.latest).toBe(mention.ts);
      expect(String(read.args.inclusive)).toBe('true'); // form-encoded by the Web API client
    }
    const content = firstTurn();
    // Pages 1 to 4 rolled out of the two kept; the messages right before the mention are there.
    for (const i of [999, 998, 980]) expect(content).toContain(`reply number ${i} about`);
    expect(content).toContain('The orders export takes 3h'); // the thread's opening message is kept
    expect(content).not.toContain('after the mention');
    expect(content.endsWith('My request: can you propose a fix?')).toBe(true);
  });

  it('uses the pages read when a later page fails, and says so in the log', async () => {
    const { deliver } = await mentionedInThread(450);
    // The third page (offset 400 in the fake's cursor) answers 500 once: Slack had a bad moment.
    const thirdPage = Buffer.from('400').toString('base64url');
    h.slack.failNext('conversations.replies', { status: 500 }, 1, (args) => args.cursor === thirdPage);
    expect((await deliver()).status).toBe(200);
    await h.app.idle();

    const content = firstTurn();
    expect(content).toContain('The orders export takes 3h');
    expect(content).toContain('reply number 399 about');
    expect(content).not.toContain('reply number 400 about');
    expect(h.logs.some((l) => l.includes('could not read the rest of a thread'))).toBe(true);
    // The context was used, so the requester is not told the thread could not be read.
    expect(h.slack.ephemerals).toHaveLength(0);
  });
});
