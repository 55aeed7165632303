import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MessageReply, textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

/** The collaboration ping's post (not the answer's Stop control or parent): it carries the Acknowledge button. */
const isPing = (args: Record<string, unknown>) =>
  JSON.stringify(args.blocks ?? '').includes('collaboration_acknowledge');

const CHANNEL = 'C0DATA001';
const ANA = 'U0ANA0001';
const SAM = 'U0SAM0001';

const PII_REQUEST = {
  role: 'security',
  topic: 'PII encryption for the orders mart',
  request: 'Provide a KMS key per environment and column-level grants for the email and phone columns.',
  reason: 'The orders mart stores customer emails and phone numbers.',
};

function collaborationRound(input: Record<string, string>): MessageReply {
  return {
    kind: 'message',
    content: [
      { type: 'text', text: '## Data Engineering Solution: Orders mart\n' },
      { type: 'tool_use', name: 'request_collaboration', input },
    ],
  };
}

/**
 * A ping (and a command's parent) is claimed before it is posted. Whatever happens between the claim
 * and Slack's answer — a crash, a failed post, a post that landed but answered 5xx — it ends up in
 * the thread exactly once.
 */
describe('pings and parents survive a crash between claim and post', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { BOT_ADMINS: ANA } });
    h.slack.addUser({ id: ANA });
    h.slack.addUser({ id: SAM });
    const set = await h.command(`owners set security <@${SAM}|sam>`, { user_id: ANA, channel_id: CHANNEL });
    expect(set.status).toBe(200);
    await h.app.idle();
  });
  afterEach(async () => {
    await h.close();
  });

  let events = 0;
  async function say(text: string, threadTs?: string): Promise<string> {
    const message = h.slack.seedMessage({
      channel: CHANNEL,
      user: ANA,
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    events += 1;
    const event = {
      type: threadTs ? 'message' : 'app_mention',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text,
      ts: message.ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(event, { event_id: `EvPing${events}` }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
    );
    expect(response.status).toBe(200);
    return message.ts;
  }

  const pings = (threadTs: string) =>
    h.slack
      .threadMessages(CHANNEL, threadTs)
      .filter((m) => m.bot_id && JSON.stringify(m.blocks ?? []).includes('collaboration_acknowledge'));
  const openJobs = () => h.query<{ n: number }>('select count(*) as n from jobs')[0]?.n ?? 0;
  /** The job (retried after its backoff) has finished: nothing queued, nothing running. */
  const settled = async () => {
    await until(() => openJobs() === 0, 15_000);
    await h.app.idle();
  };

  async function askWithPing(): Promise<string> {
    h.anthropic.script(collaborationRound(PII_REQUEST), textReply('### Data Architecture\nMasked views.'));
    return say(`<@${FAKE_BOT_USER_ID}> design an orders mart with customer PII`);
  }

  it('retries a ping whose post failed, and posts it once', async () => {
    // The answer streams (chat.startStream…); the first chat.postMessage is the ping.
    h.slack.failNext('chat.postMessage', { status: 500 }, 1, isPing);
    const threadTs = await askWithPing();
    await settled();
    expect(pings(threadTs)).toHaveLength(1);
    expect(h.query('select ping_ts from collaboration_requests')).toEqual([
      { ping_ts: pings(threadTs)[0]?.ts },
    ]);
  });

  it('finds a ping that landed but answered 500 by its metadata key instead of posting it twice', async () => {
    h.slack.failNext('chat.postMessage', { status: 500, afterLanding: true }, 1, isPing);
    const threadTs = await askWithPing();
    await settled();
    expect(pings(threadTs)).toHaveLength(1);
    const lookups = h.slack.callsTo('conversations.replies');
    expect(lookups.some((c) => String(c.args.include_all_metadata) === 'true')).toBe(true);
    // A follow-up runs the task's job again: still one ping.
    h.anthropic.script(textReply('Hourly works too.'));
    await say('Can it refresh hourly?', threadTs);
    await settled();
    expect(pings(threadTs)).toHaveLength(1);
    expect(h.query<{ ping_ts: string }>('select ping_ts from collaboration_requests')[0]?.ping_ts).toBe(
      pings(threadTs)[0]?.ts,
    );
  });

  it('posts a ping claimed by a process that died before posting it exactly once after the restart', async () => {
    const release = h.slack.holdNext('chat.postMessage', isPing);
    const threadTs = await askWithPing();
    // The ping is claimed and its post is on the wire: the process dies now (nothing after the
    // claim is stored), and the request never reaches Slack.
    await until(() => h.slack.callsTo('chat.postMessage').some((c) => isPing(c.args)));
    await h.app.stop({ graceMs: 0 });
    h.slack.failNext('chat.postMessage', { status: 500 }, 1, isPing);
    release();
    await until(() =>
      h.slack.callsTo('chat.postMessage').some((c) => isPing(c.args) && c.httpStatus === 500),
    );
    expect(pings(threadTs)).toHaveLength(0);
    await h.restart();
    await settled();
    expect(pings(threadTs)).toHaveLength(1);
  });

  it('keeps one parent and completes the task when the parent post lands but answers 500', async () => {
    h.anthropic.script(textReply('## Data Engineering Solution: Invoices\nA nightly merge.'));
    h.slack.failNext('chat.postMessage', { status: 500, afterLanding: true });
    const response = await h.command('design a pipeline for invoices', { user_id: ANA, channel_id: CHANNEL });
    expect(response.status).toBe(200);
    await settled();
    const parents = h.slack.messages.filter((m) => m.channel === CHANNEL && m.bot_id && !m.thread_ts);
    expect(parents.filter((m) => /asked/.test(m.text ?? ''))).toHaveLength(1);
    const [task] = h.query<{ status: string; thread_ts: string }>(
      "select status, thread_ts from tasks where source = 'command'",
    );
    expect(task?.status).toBe('done');
    expect(task?.thread_ts).toBe(parents[0]?.ts);
    expect(h.slack.threadMessages(CHANNEL, task?.thread_ts ?? '').filter((m) => m.bot_id)).toHaveLength(2);
  });
});
