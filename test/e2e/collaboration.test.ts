import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MessageReply, textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID, type FakeMessage } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { blockActionsBody, eventEnvelope, postSigned } from '../support/slack-signing.js';

const CHANNEL = 'C0DATA001';
const ADMIN = 'U0ADMIN01';
const ANA = 'U0ANA0001';
const SAM = 'U0SAM0001'; // security
const DEV = 'U0DEV0001'; // devops
const BOT_ADMIN = 'U0BOTADM1';

const PII_REQUEST = {
  role: 'security',
  topic: 'PII encryption for the orders mart',
  request: 'Provide a KMS key per environment and column-level grants for the email and phone columns.',
  reason: 'The orders mart stores customer emails and phone numbers.',
};

/** A model round that writes some text, then calls request_collaboration. */
function collaborationRound(
  input: Record<string, string>,
  text = '## Data Engineering Solution: Orders mart\n',
): MessageReply {
  return {
    kind: 'message',
    content: [
      { type: 'text', text },
      { type: 'tool_use', name: 'request_collaboration', input },
    ],
  };
}

describe('collaboration pings', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ env: { BOT_ADMINS: BOT_ADMIN } });
    h.slack.addUser({ id: ADMIN, is_admin: true });
    for (const id of [ANA, SAM, DEV, BOT_ADMIN]) h.slack.addUser({ id });
  });
  afterEach(async () => {
    await h.close();
  });

  /** Runs `/data-engineer <text>` in CHANNEL; returns what the user saw (the ack, or the later reply). */
  async function command(text: string, user = ADMIN): Promise<string> {
    const before = h.slack.responses.length;
    const response = await h.command(text, { user_id: user, channel_id: CHANNEL });
    expect(response.status).toBe(200);
    await h.app.idle();
    const later = h.slack.responses.slice(before).map((r) => (r.body as { text: string }).text);
    return [response.json?.text, ...later].filter(Boolean).join('\n');
  }

  let eventCount = 0;
  /** A human message in CHANNEL, delivered as Slack would (an app_mention when it mentions the bot). */
  async function say(text: string, threadTs?: string): Promise<string> {
    const message = h.slack.seedMessage({
      channel: CHANNEL,
      user: ANA,
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    const event = {
      type: text.includes(`<@${FAKE_BOT_USER_ID}>`) ? 'app_mention' : 'message',
      channel: CHANNEL,
      channel_type: 'channel',
      user: ANA,
      text,
      ts: message.ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    eventCount += 1;
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      eventEnvelope(event, { event_id: `EvCollab${eventCount}` }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
    );
    expect(response.status).toBe(200);
    await h.app.idle();
    return message.ts;
  }

  async function click(actionId: string, value: string, user: string, messageTs: string): Promise<string[]> {
    const before = h.slack.responses.length;
    const response = await postSigned(
      `${h.app.url}/slack/events`,
      blockActionsBody({
        userId: user,
        channelId: CHANNEL,
        messageTs,
        actionId,
        value,
        responseUrl: h.slack.responseUrl(),
      }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
    );
    expect(response.status).toBe(200);
    await h.app.idle();
    return h.slack.responses.slice(before).map((r) => (r.body as { text: string }).text);
  }

  const botMessages = (threadTs: string) => h.slack.threadMessages(CHANNEL, threadTs).filter((m) => m.bot_id);
  const pings = (threadTs: string) =>
    botMessages(threadTs).filter((m) => hasActions(m) || /input needed/.test(m.text ?? ''));
  const requests = () =>
    h.query<{
      id: number;
      role: string;
      status: string;
      owner_id: string | null;
      ping_ts: string | null;
      acknowledged_by: string | null;
      done_by: string | null;
    }>('select * from collaboration_requests order by id');

  it('pings the security owner once, with buttons, and not again on a follow-up', async () => {
    expect(await command(`owners set security <@${SAM}|sam>`)).toContain(
      `<@${SAM}> now owns Security requests for this workspace`,
    );
    h.anthropic.script(
      collaborationRound(PII_REQUEST),
      textReply('### Data Architecture\nEncrypted columns, masked views.'),
    );
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> design an orders mart with customer PII`);

    const thread = botMessages(threadTs);
    expect(thread).toHaveLength(2); // the answer, then the ping
    expect(thread[0]?.markdown_text).toContain('Orders mart');
    expect(thread[0]?.markdown_text).toContain('Encrypted columns');
    const [ping] = pings(threadTs);
    expect(ping?.text).toContain(`<@${SAM}>`);
    expect(JSON.stringify(ping?.blocks)).toContain('PII encryption for the orders mart');
    expect(JSON.stringify(ping?.blocks)).toContain('KMS key per environment');
    expect(actionIds(ping)).toEqual(['collaboration_acknowledge', 'collaboration_done']);
    // The model got the tool result and continued the same answer.
    const second = h.anthropic.requests[1]?.body.messages as { role: string; content: unknown }[];
    expect(JSON.stringify(second.at(-1))).toContain('tool_result');
    expect(JSON.stringify(second.at(-1))).toContain('pings the Security owner');

    h.anthropic.script(
      collaborationRound(
        { ...PII_REQUEST, topic: 'PII Encryption for the Orders Mart!' },
        'Hourly works too.\n',
      ),
      textReply('Use incremental merges.'),
    );
    await say('Can it refresh hourly?', threadTs);
    expect(pings(threadTs)).toHaveLength(1);
    expect(requests()).toHaveLength(1);
    expect(JSON.stringify(h.anthropic.requests.at(-1)?.body.messages.at(-1))).toContain('Already requested');
    // Only the owner's mention is live in the thread.
    const mentions = botMessages(threadTs).flatMap((m) => JSON.stringify(m).match(/<@U[A-Z0-9]+>/g) ?? []);
    expect(new Set(mentions)).toEqual(new Set([`<@${SAM}>`]));
  });

  it('explains how to set a missing owner, then pings once when one is set', async () => {
    h.anthropic.script(
      collaborationRound({
        role: 'devops',
        topic: 'Kafka cluster sizing',
        request: 'Provision a 3-broker MSK cluster with 7-day retention in eu-west-1.',
        reason: 'The pipeline streams 2B events a day.',
      }),
      textReply('### Implementation Plan\nStream with Kafka.'),
    );
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> stream clickstream events into the lakehouse`);
    const guidance = botMessages(threadTs).at(-1);
    expect(guidance?.text).toContain('needs a *DevOps* owner');
    expect(guidance?.text).toContain('/data-engineer owners set devops @someone');
    expect(requests()[0]).toMatchObject({ role: 'devops', owner_id: null, ping_ts: null });

    expect(await command(`owners set devops <@${DEV}|dev>`, BOT_ADMIN)).toContain(
      'pinging them now on 1 request',
    );
    const [ping] = pings(threadTs);
    expect(ping?.text).toContain(`<@${DEV}>`);
    expect(requests()[0]).toMatchObject({ owner_id: DEV, ping_ts: ping?.ts });

    expect(await command(`owners set devops <@${DEV}|dev> --channel`, BOT_ADMIN)).not.toContain('pinging');
    expect(pings(threadTs)).toHaveLength(1);
  });

  it('refuses owner changes from people who are not admins, and says who can', async () => {
    const reply = await command(`owners set security <@${SAM}|sam>`, ANA);
    expect(reply).toContain('only workspace admins and owners');
    expect(reply).toContain(`<@${BOT_ADMIN}>`);
    expect(h.query('select * from owners')).toHaveLength(0);
    expect(await command('owners clear security', ANA)).toContain('only workspace admins');
  });

  it.each([
    ['owners set security <!here>', 'not @here'],
    ['owners set security @channel', 'not @channel'],
    ['owners set security <!everyone|everyone>', 'not @everyone'],
    ['owners set security @bob', 'couldn’t find a Slack user or group in “@bob”'],
    ['owners set security bob smith', 'One owner per role'],
    ['owners set dba <@U0SAM0001>', 'I don’t know the role “dba”'],
    ['owners set security <#C0DATA001|data>', 'That is a channel'],
    ['owners set security', 'Who should own security?'],
    [`owners set security <@${FAKE_BOT_USER_ID}|data-engineer>`, 'is a bot or an app'],
    ['owners set security <@U0NOBODY1|ghost>', 'couldn’t find that person'],
    ['owners set security <@U0SAM0001> --everywhere', 'don’t know the option `--everywhere`'],
  ])('rejects %j with a specific message', async (text, expected) => {
    const reply = await command(text.replace(/'/g, '’'));
    expect(reply.replace(/'/g, '’')).toContain(expected);
    expect(h.query('select * from owners')).toHaveLength(0);
  });

  it('accepts a user group, shows owners with their source, and lets a channel override the default', async () => {
    await command('owners set qa <!subteam^S0QA00001|@qa-team>');
    await command(`owners set qa <@${SAM}> --channel`);
    const shown = await command('owners');
    expect(shown).toContain(
      `*QA* (data validation testing): <@${SAM}> (set for this channel, by <@${ADMIN}>)`,
    );
    expect(shown).toContain('*Security* (encryption and access control): _not set_');
    expect(await command('owners clear qa --channel')).toContain('Removed the QA owner in <#C0DATA001>');
    expect(await command('owners')).toContain('<!subteam^S0QA00001> (workspace default');
  });

  it('records Acknowledge and Done clicks and redraws the ping from the stored status', async () => {
    await command(`owners set security <@${SAM}>`);
    h.anthropic.script(collaborationRound(PII_REQUEST), textReply('Done.'));
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> design an orders mart with customer PII`);
    const stored = requests()[0];
    if (!stored?.ping_ts) throw new Error('the ping was not stored');
    const { id, ping_ts } = stored;

    expect(await click('collaboration_acknowledge', String(id), SAM, ping_ts)).toEqual([]);
    expect(requests()[0]).toMatchObject({ status: 'acknowledged', acknowledged_by: SAM });
    let [ping] = pings(threadTs);
    expect(JSON.stringify(ping?.blocks)).toContain(`Acknowledged by <@${SAM}>`);
    expect(actionIds(ping)).toEqual(['collaboration_done']);

    expect(await click('collaboration_done', String(id), ANA, ping_ts)).toEqual([]);
    expect(requests()[0]).toMatchObject({ status: 'done', done_by: ANA });
    [ping] = pings(threadTs);
    expect(JSON.stringify(ping?.blocks)).toContain(`Done — marked by <@${ANA}>`);
    expect(actionIds(ping)).toEqual([]);

    expect(await click('collaboration_done', String(id), SAM, ping_ts)).toEqual([
      'This request is already marked done.',
    ]);
    const [gone] = await click('collaboration_acknowledge', '99999', SAM, ping_ts);
    expect(gone).toContain('no longer exists');
  });

  it('lists the channel’s open requests with owner, age and a link to the thread', async () => {
    await command(`owners set security <@${SAM}>`);
    h.anthropic.script(collaborationRound(PII_REQUEST), textReply('Done.'));
    await say(`<@${FAKE_BOT_USER_ID}> design an orders mart with customer PII`);
    const list = await command('requests', ANA);
    expect(list).toContain('Open collaboration requests in this channel (1)');
    expect(list).toMatch(
      /\*Security\* · PII encryption for the orders mart · <@U0SAM0001> · open for \d+ min · <https:\/\/fake-workspace\.slack\.com\/archives\/C0DATA001\/p\d+\?thread_ts=/,
    );
    expect(await command('requests', ANA).then(() => 'ok')).toBe('ok');
  });
});

function hasActions(message: FakeMessage | undefined): boolean {
  return actionIds(message).length > 0 || JSON.stringify(message?.blocks ?? []).includes('handshake');
}

function actionIds(message: FakeMessage | undefined): string[] {
  const blocks = (message?.blocks ?? []) as { type: string; elements?: { action_id?: string }[] }[];
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => (b.elements ?? []).map((e) => e.action_id ?? ''));
}
