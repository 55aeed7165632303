import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collaborationRound, type MessageReply, textReply } from '../support/fake-anthropic.js';
import {
  FAKE_BOT_USER_ID,
  FAKE_TEAM_ID,
  type FakeMessage,
  type RecordedCall,
} from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { blockActionsBody, eventEnvelope, postSigned } from '../support/slack-signing.js';

/**
 * Issue 10, items 1, 2, 5 and 6: nobody can turn the bot into a pager, close someone else's request,
 * read a private conversation through the bot, or borrow admin rights from a guest account or another
 * workspace. Every case drives the real app with signed requests and asserts on what the fake Slack
 * received.
 */

const CHANNEL = 'C0DATA001';
const OTHER_CHANNEL = 'C0OTHER01';
const ADMIN = 'U0ADMIN01';
const ANA = 'U0ANA0001'; // asks
const SAM = 'U0SAM0001'; // security owner
const DEV = 'U0DEV0001'; // a bystander
const SEC_GROUP = 'S0SEC0001';

/** A live Slack mention of any kind: a person, a user group or a broadcast. */
const LIVE_MENTION =
  /<@[UW][A-Z0-9]+(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>|<!(?:here|channel|everyone)\b/g;

const PII = {
  role: 'security',
  topic: 'PII encryption for the orders mart',
  request: 'Provide a KMS key per environment and column-level grants for the email column.',
  reason: 'The mart stores customer emails.',
};

const askQuestions: MessageReply = {
  kind: 'message',
  content: [
    { type: 'tool_use', name: 'ask_clarifying_questions', input: { questions: ['How many rows a day?'] } },
  ],
};

let h: Harness;
let events = 0;

async function start(options: Parameters<typeof startHarness>[0] = {}): Promise<void> {
  h = await startHarness(options);
  h.slack.addUser({ id: ADMIN, is_admin: true });
  for (const [id, name] of [
    [ANA, 'ana'],
    [SAM, 'sam'],
    [DEV, 'dev'],
  ] as const) {
    h.slack.addUser({ id, profile: { display_name: name } });
  }
}

/** `/data-engineer <text>`; returns everything the person saw (the ack and the later private replies). */
async function command(text: string, user = ADMIN, channel = CHANNEL): Promise<string> {
  const before = h.slack.responses.length;
  const response = await h.command(text, { user_id: user, channel_id: channel });
  expect(response.status).toBe(200);
  await h.app.idle();
  const later = h.slack.responses.slice(before).map((r) => (r.body as { text: string }).text);
  return [response.json?.text, ...later].filter(Boolean).join('\n');
}

/** A human message delivered as Slack would; a mention of the bot outside a DM is an app_mention. */
async function say(
  text: string,
  opts: { channel?: string; user?: string; threadTs?: string; channelType?: string } = {},
): Promise<string> {
  const channel = opts.channel ?? CHANNEL;
  const user = opts.user ?? ANA;
  const message = h.slack.seedMessage({
    channel,
    user,
    text,
    ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
  });
  const mention = text.includes(`<@${FAKE_BOT_USER_ID}>`) && !channel.startsWith('D');
  events += 1;
  const response = await postSigned(
    `${h.app.url}/slack/events`,
    eventEnvelope(
      {
        type: mention ? 'app_mention' : 'message',
        channel,
        channel_type: opts.channelType ?? (channel.startsWith('D') ? 'im' : 'channel'),
        user,
        text,
        ts: message.ts,
        ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
      },
      { event_id: `EvAdv${events}` },
    ),
    { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
  );
  expect(response.status).toBe(200);
  await h.app.idle();
  return message.ts;
}

/** A button click on a message; returns the private replies the clicker got. */
async function click(
  actionId: string,
  requestId: number,
  user: string,
  messageTs: string,
  channel = CHANNEL,
): Promise<string[]> {
  const before = h.slack.responses.length;
  const response = await postSigned(
    `${h.app.url}/slack/events`,
    blockActionsBody({
      userId: user,
      channelId: channel,
      messageTs,
      actionId,
      value: String(requestId),
      responseUrl: h.slack.responseUrl(),
    }),
    { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
  );
  expect(response.status).toBe(200);
  await h.app.idle();
  return h.slack.responses.slice(before).map((r) => (r.body as { text: string }).text);
}

async function openHome(user: string): Promise<string> {
  events += 1;
  await postSigned(
    `${h.app.url}/slack/events`,
    eventEnvelope(
      { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home' },
      { event_id: `EvAdv${events}` },
    ),
    { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
  );
  await h.app.idle();
  return JSON.stringify(h.slack.homeViews.get(user)?.blocks ?? []);
}

const requests = () =>
  h.query<{ id: number; status: string; ping_ts: string | null; thread_ts: string; done_by: string | null }>(
    'select id, status, ping_ts, thread_ts, done_by from collaboration_requests order by id',
  );

const liveMentions = (text: string) => text.match(LIVE_MENTION) ?? [];
const postsSince = (from: number): RecordedCall[] =>
  h.slack.calls.slice(from).filter((c) => c.method === 'chat.postMessage' && c.response?.ok);
const postedText = (call: RecordedCall) =>
  `${call.args.text ?? ''}${JSON.stringify(call.args.blocks ?? '')}${call.args.markdown_text ?? ''}`;
const topLevelBotPosts = (channel = CHANNEL) =>
  h.slack.messages.filter((m) => m.channel === channel && m.bot_id && !m.thread_ts);
const isPing = (m: FakeMessage) => JSON.stringify(m.blocks ?? []).includes('collaboration_acknowledge');

/**
 * A day's work in CHANNEL: a security request (owner SAM, or the security group) and a task waiting on
 * ANA's answers. Returns the request's thread.
 */
async function aDaysWork(owner = `<@${SAM}>`): Promise<string> {
  await command(`owners set security ${owner}`);
  h.anthropic.script(collaborationRound(PII, '## Solution\n'), textReply('Encrypt at rest.'), askQuestions);
  const threadTs = await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`);
  await say(`<@${FAKE_BOT_USER_ID}> stream clickstream events`);
  return threadTs;
}

afterEach(async () => {
  await h.close();
});

describe('10.1 digests never page anyone', () => {
  describe('digest now', () => {
    beforeEach(async () => {
      await start();
    });

    it('digest now is private and names people and groups: 0 mentions reach Slack, also after three in a row', async () => {
      h.slack.addUserGroup(SEC_GROUP, [SAM]);
      await aDaysWork(`<!subteam^${SEC_GROUP}|@security>`);
      await command(`owners set qa <@${SAM}>`);
      const callsBefore = h.slack.calls.length;
      const postsBefore = topLevelBotPosts().length;
      const responsesBefore = h.slack.responses.length;

      const seen: string[] = [];
      for (let i = 0; i < 3; i++) seen.push(await command('digest now', DEV));

      expect(topLevelBotPosts()).toHaveLength(postsBefore); // nothing posted in the channel
      expect(postsSince(callsBefore)).toHaveLength(0);
      for (const text of seen) {
        expect(text).toContain('Data engineering digest for <#C0DATA001>');
        expect(text).toContain('waiting on ana'); // ANA by display name
        expect(text).toContain('the Security owner group');
        expect(liveMentions(text)).toEqual([]);
      }
      const privateReplies = h.slack.responses.slice(responsesBefore).map((r) => r.body);
      expect(privateReplies.length).toBeGreaterThanOrEqual(3);
      for (const body of privateReplies) {
        expect(body.response_type).toBe('ephemeral');
        expect(liveMentions(JSON.stringify(body))).toEqual([]);
      }
    });

    it('an admin’s digest now --post posts it, with 0 mentions in the parent and its thread', async () => {
      await aDaysWork();
      const callsBefore = h.slack.calls.length;
      expect(await command('digest now --post')).toContain('Posted the digest');
      const posts = postsSince(callsBefore);
      expect(posts.length).toBeGreaterThan(1);
      expect(posts.map(postedText).join('\n')).toContain('· sam ·'); // the owner, by name
      expect(posts.flatMap((call) => liveMentions(postedText(call)))).toEqual([]);
    });

    it('refuses a non-admin’s digest now --post and posts nothing', async () => {
      await aDaysWork();
      const callsBefore = h.slack.calls.length;
      const reply = await command('digest now --post', DEV);
      expect(reply).toContain('only workspace admins and owners');
      expect(reply).toContain('`/data-engineer digest now` shows it to you alone');
      expect(postsSince(callsBefore)).toHaveLength(0);
    });

    it('falls back to a neutral name, never a mention, when users.info fails', async () => {
      await aDaysWork();
      h.slack.failNext('users.info', { error: 'fatal_error' }, 20);
      const text = await command('digest now', DEV);
      expect(text).toContain('waiting on a teammate');
      expect(liveMentions(text)).toEqual([]);
    });

    it('looks up each name once for a digest of many people, not once per line or per digest', async () => {
      await aDaysWork();
      const before = h.slack.callsTo('users.info').length;
      await command('digest now', DEV);
      const lookups = h.slack.callsTo('users.info').slice(before);
      // Two people are named (ana waits on questions, sam owns the request): one look-up each.
      expect(new Set(lookups.map((c) => c.args.user))).toEqual(new Set([ANA, SAM]));
      expect(lookups).toHaveLength(2);
      await command('digest now', DEV);
      await command('digest now', DEV);
      expect(h.slack.callsTo('users.info').length).toBe(before + 2); // served from the cache
    });
  });

  describe('scheduled digests: only when something changed, old open items at most weekly', () => {
    const DAY = 24 * 3_600_000;
    const today = () => new Date().toISOString().slice(0, 10);
    const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

    /** Moves every recorded time of the day's work to `at` (ms): as if it happened then. */
    function backdate(at: number): void {
      const writer = new Database(h.databasePath);
      writer
        .prepare(
          'update tasks set created_at = ?, updated_at = ?, completed_at = case when completed_at is null then null else ? end',
        )
        .run(at, at, at);
      writer.prepare('update turns set created_at = ?').run(at);
      writer.prepare('update collaboration_requests set created_at = ?').run(at);
      writer.close();
    }

    function sql(statement: string, ...params: unknown[]): void {
      const writer = new Database(h.databasePath);
      writer.prepare(statement).run(...params);
      writer.close();
    }

    it('posts a day with news, skips a day with nothing new, and reminds of old open items once a week', async () => {
      // Due at 00:00 UTC every day: any start after midnight finds today's digest due.
      await start({
        tuning: { digestScheduler: true },
        env: { DIGEST_TIME: '00:00', DIGEST_TIMEZONE: 'UTC' },
      });
      await aDaysWork();
      const midnight = Date.parse(`${today()}T00:00:00Z`);
      backdate(midnight - 3_600_000); // yesterday 23:00: inside the period of today's digest

      await h.restart();
      await h.app.idle();
      expect(topLevelBotPosts()).toHaveLength(1); // news: posted

      // The next day: no activity, the same request and question still open.
      backdate(midnight - DAY - 3_600_000);
      sql('update digest_runs set local_date = ?', daysAgo(1));
      await h.restart();
      await h.app.idle();
      expect(topLevelBotPosts()).toHaveLength(1); // nothing new since the last digest: not posted
      expect(h.query('select local_date, status from digest_runs order by local_date')).toEqual([
        { local_date: daysAgo(1), status: 'posted' },
        { local_date: today(), status: 'unchanged' },
      ]);

      // A week after the last digest: one reminder of what is still open.
      sql("delete from digest_runs where status = 'unchanged'");
      sql('update digest_runs set local_date = ?', daysAgo(7));
      await h.restart();
      await h.app.idle();
      expect(topLevelBotPosts()).toHaveLength(2);
      expect(topLevelBotPosts()[1]?.text).toContain('weekly reminder');

      // The day after the reminder: nothing again.
      sql('update digest_runs set local_date = ? where local_date = ?', daysAgo(1), today());
      await h.restart();
      await h.app.idle();
      expect(topLevelBotPosts()).toHaveLength(2);
      // And none of the scheduled digests paged anyone.
      const digestText = h.slack.messages
        .filter((m) => m.channel === CHANNEL && m.bot_id)
        .filter((m) => topLevelBotPosts().some((p) => p.ts === m.ts || p.ts === m.thread_ts))
        .map((m) => m.text ?? '')
        .join('\n');
      expect(digestText).toContain('Open collaboration requests');
      expect(liveMentions(digestText)).toEqual([]);
    });

    it.each([
      ['a request closed', "update collaboration_requests set status = 'done'"],
      [
        'a waiting task answered long ago',
        "update tasks set status = 'done' where status = 'waiting_for_answers'",
      ],
    ])('posts the next day when %s since the last digest changes what stands', async (_, change) => {
      await start({
        tuning: { digestScheduler: true },
        env: { DIGEST_TIME: '00:00', DIGEST_TIMEZONE: 'UTC' },
      });
      await aDaysWork();
      const midnight = Date.parse(`${today()}T00:00:00Z`);
      backdate(midnight - 3_600_000);
      await h.restart();
      await h.app.idle();
      expect(topLevelBotPosts()).toHaveLength(1);

      // The next day: no activity in the period, but one standing item went away.
      backdate(midnight - DAY - 3_600_000);
      sql('update digest_runs set local_date = ?', daysAgo(1));
      sql(change);
      await h.restart();
      await h.app.idle();
      expect(topLevelBotPosts()).toHaveLength(2);
      expect(h.query('select status from digest_runs order by local_date')).toEqual([
        { status: 'posted' },
        { status: 'posted' },
      ]);
    });
  });
});

describe('10.2 only the right people close a request', () => {
  beforeEach(async () => {
    await start();
  });

  async function pinged(owner?: string): Promise<{ id: number; pingTs: string; threadTs: string }> {
    const threadTs = await aDaysWork(owner);
    const [request] = requests();
    if (!request?.ping_ts) throw new Error('no ping was posted');
    return { id: request.id, pingTs: request.ping_ts, threadTs };
  }

  const doneLines = (threadTs: string) =>
    h.slack
      .threadMessages(CHANNEL, threadTs)
      .filter((m) => /marked the \*Security\* request/.test(m.text ?? ''));

  it('refuses Acknowledge and Done from someone who is not the owner, the requester or an admin', async () => {
    const { id, pingTs, threadTs } = await pinged();
    const updatesBefore = h.slack.callsTo('chat.update').length;
    const [ack] = await click('collaboration_acknowledge', id, DEV, pingTs);
    const [done] = await click('collaboration_done', id, DEV, pingTs);
    expect(ack).toContain(
      'only the Security owner, the person who asked for this task, or a workspace admin',
    );
    expect(done).toContain('can mark this request done');
    expect(h.slack.responses.slice(-2).every((r) => r.body.response_type === 'ephemeral')).toBe(true);
    expect(requests()[0]).toMatchObject({ status: 'open', done_by: null });
    expect(h.slack.callsTo('chat.update').length).toBe(updatesBefore);
    expect(doneLines(threadTs)).toHaveLength(0);
    // Still on the owner's Home tab.
    expect(await openHome(SAM)).toContain('PII encryption for the orders mart');
  });

  it('lets the owner mark it done, and says so in the thread with one short line (no mention)', async () => {
    const { id, pingTs, threadTs } = await pinged();
    expect(await click('collaboration_done', id, SAM, pingTs)).toEqual([]);
    expect(requests()[0]).toMatchObject({ status: 'done', done_by: SAM });
    const lines = doneLines(threadTs);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.text).toBe(
      ':white_check_mark: sam marked the *Security* request “PII encryption for the orders mart” done.',
    );
    expect(await click('collaboration_done', id, SAM, pingTs)).toEqual([
      'This request is already marked done.',
    ]);
    expect(doneLines(threadTs)).toHaveLength(1);
  });

  it('lets the requester and an admin answer too', async () => {
    const { id, pingTs } = await pinged();
    expect(await click('collaboration_acknowledge', id, ANA, pingTs)).toEqual([]);
    expect(requests()[0]?.status).toBe('acknowledged');
    expect(await click('collaboration_done', id, ADMIN, pingTs)).toEqual([]);
    expect(requests()[0]).toMatchObject({ status: 'done', done_by: ADMIN });
  });

  it('lets a member of the owner group answer (usergroups.users.list), and refuses someone outside it', async () => {
    h.slack.addUserGroup(SEC_GROUP, [SAM]);
    const { id, pingTs } = await pinged(`<!subteam^${SEC_GROUP}|@security>`);
    const [refused] = await click('collaboration_acknowledge', id, DEV, pingTs);
    expect(refused).toContain('only a member of the Security owner group');
    expect(requests()[0]?.status).toBe('open');
    expect(await click('collaboration_acknowledge', id, SAM, pingTs)).toEqual([]);
    expect(requests()[0]?.status).toBe('acknowledged');
    const lookups = h.slack.callsTo('usergroups.users.list');
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups.every((c) => c.args.usergroup === SEC_GROUP)).toBe(true);
  });
});

describe('10.5 nothing private crosses a channel boundary', () => {
  const DM = 'D0ANA0001';
  const PRIVATE = 'G0PRIV001';

  beforeEach(async () => {
    await start();
    h.slack.addChannel(DM, { members: [ANA] });
    h.slack.addChannel(PRIVATE, { members: [ANA, DEV] });
    h.slack.addChannel(OTHER_CHANNEL, {});
    await command(`owners set security <@${SAM}>`);
  });

  const everythingOutside = (conversation: string) =>
    h.slack.calls
      .filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')
      .filter((c) => c.args.channel !== conversation)
      .map(postedText)
      .join('\n');

  it.each([
    ['a DM with the bot', DM],
    ['a private channel the owner is not in', PRIVATE],
  ])(
    'a request raised in %s: no ping there, no topic on the owner’s Home tab, in requests or in another channel’s digest',
    async (_, conversation) => {
      h.anthropic.script(collaborationRound(PII, '## Solution\n'), textReply('Encrypt at rest.'));
      const threadTs = await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`, {
        channel: conversation,
      });
      const thread = h.slack.threadMessages(conversation, threadTs).filter((m) => m.bot_id);
      expect(thread.some(isPing)).toBe(false);
      expect(
        thread.some((m) => liveMentions(`${m.text ?? ''}${JSON.stringify(m.blocks ?? [])}`).length > 0),
      ).toBe(false);
      const note = thread.find((m) => /isn't in this conversation/.test(m.text ?? ''));
      expect(note?.text).toContain('Invite them here first');
      expect(requests()[0]).toMatchObject({ status: 'open', ping_ts: null });

      const topic = 'PII encryption';
      expect(await openHome(SAM)).not.toContain(topic);
      expect(await command('requests', SAM, CHANNEL)).not.toContain(topic);
      expect(await command('digest now', SAM, OTHER_CHANNEL)).not.toContain(topic);
      await command('digest now --post', ADMIN, CHANNEL);
      expect(everythingOutside(conversation)).not.toContain(topic);
      // The person who asked still sees their own task and its request where they belong.
      expect(await openHome(ANA)).toContain('store customer emails safely');
    },
  );

  it('pings the owner once they are invited and someone replies in the thread', async () => {
    h.anthropic.script(collaborationRound(PII, '## Solution\n'), textReply('Encrypt at rest.'));
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`, { channel: PRIVATE });
    expect(h.slack.threadMessages(PRIVATE, threadTs).some(isPing)).toBe(false);
    expect(await openHome(SAM)).not.toContain('PII encryption');

    h.slack.addChannel(PRIVATE, { members: [ANA, DEV, SAM] }); // SAM invited
    h.anthropic.script(textReply('Still: encrypt at rest.'));
    await say('SAM is here now', { channel: PRIVATE, threadTs });
    const pings = h.slack.threadMessages(PRIVATE, threadTs).filter(isPing);
    expect(pings).toHaveLength(1);
    expect(pings[0]?.text).toContain(`<@${SAM}>`);
    const notes = h.slack
      .threadMessages(PRIVATE, threadTs)
      .filter((m) => /isn't in this conversation/.test(m.text ?? ''));
    expect(notes).toHaveLength(1); // the invite note was not repeated
    expect(await openHome(SAM)).toContain('PII encryption');
  });

  it('reads every page of conversations.members', async () => {
    const crowd = Array.from({ length: 450 }, (_, i) => `U0CROWD${String(i).padStart(3, '0')}`);
    h.slack.addChannel(PRIVATE, { members: [ANA, ...crowd, SAM] }); // SAM on the third page
    h.anthropic.script(collaborationRound(PII, '## Solution\n'), textReply('Encrypt at rest.'));
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`, { channel: PRIVATE });
    expect(h.slack.threadMessages(PRIVATE, threadTs).filter(isPing)).toHaveLength(1);
    const pages = h.slack.callsTo('conversations.members').filter((c) => c.args.channel === PRIVATE);
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });
});

describe('10.6 guests and other workspaces are not admins', () => {
  beforeEach(async () => {
    await start();
  });

  it.each([
    ['a multi-channel guest', { is_admin: true, is_restricted: true }],
    ['a single-channel guest', { is_admin: true, is_ultra_restricted: true }],
    ['a stranger from a Slack Connect channel', { is_admin: true, is_owner: true, is_stranger: true }],
    ['an admin of another workspace', { is_admin: true, is_owner: true, team_id: 'T0OTHER01' }],
  ])('refuses %s as an admin', async (_, flags) => {
    const who = 'U0EXT0001';
    h.slack.addUser({ id: who, ...flags });
    const callsBefore = h.slack.calls.length;
    expect(await command(`owners set security <@${SAM}>`, who)).toContain('only workspace admins and owners');
    expect(await command('digest at 08:30', who)).toContain('only workspace admins and owners');
    expect(await command('digest now --post', who)).toContain('only workspace admins and owners');
    expect(h.query('select * from owners')).toHaveLength(0);
    expect(h.query('select * from digest_settings')).toHaveLength(0);
    expect(postsSince(callsBefore)).toHaveLength(0);
  });

  it('still accepts an admin of this workspace', async () => {
    expect(await command(`owners set security <@${SAM}>`, ADMIN)).toContain('now owns Security requests');
  });
});

describe('attacker review: bounded, honest and inert', () => {
  const PRIVATE = 'G0PRIV001';
  const DM = 'D0ANA0001';

  beforeEach(async () => {
    await start();
  });

  function sql(statement: string, ...params: unknown[]): void {
    const writer = new Database(h.databasePath);
    writer.prepare(statement).run(...params);
    writer.close();
  }

  const notesIn = (channel: string, threadTs: string, pattern: RegExp) =>
    h.slack.threadMessages(channel, threadTs).filter((m) => m.bot_id && pattern.test(m.text ?? ''));

  it('50 never-pinged requests from a DM do not hide a newer request on the owner’s Home tab', async () => {
    h.slack.addChannel(DM, { members: [ANA] });
    await command(`owners set security <@${SAM}>`);
    h.anthropic.script(collaborationRound(PII, '## Solution\n'), textReply('Encrypt at rest.'));
    await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`, { channel: DM });
    const [dmRequest] = requests();
    expect(dmRequest?.ping_ts).toBeNull();
    for (let i = 0; i < 50; i++) {
      sql(
        `insert into collaboration_requests (team_id, task_id, channel_id, thread_ts, role, topic, topic_key, request, reason, owner_kind, owner_id, created_at)
         select team_id, task_id, channel_id, thread_ts, role, topic || ?, topic_key || ?, request, reason, owner_kind, owner_id, created_at - ?
         from collaboration_requests where id = ?`,
        ` ${i}`,
        ` ${i}`,
        i + 1,
        dmRequest?.id,
      );
    }
    h.anthropic.script(
      collaborationRound({ ...PII, topic: 'Row-level security for the finance channel' }, '## Solution\n'),
      textReply('Use row access policies.'),
    );
    await say(`<@${FAKE_BOT_USER_ID}> lock down finance rows`);
    const home = await openHome(SAM);
    expect(home).toContain('Row-level security for the finance channel');
    expect(home).not.toContain('PII encryption');
  });

  it('reads a conversation’s members once per round of pings, whatever the number of requests', async () => {
    const crowd = Array.from({ length: 450 }, (_, i) => `U0CROWD${String(i).padStart(3, '0')}`);
    h.slack.addChannel(PRIVATE, { members: [ANA, ...crowd] }); // 451 + the bot: 3 pages of 200
    for (const role of ['security', 'backend', 'qa']) await command(`owners set ${role} <@${SAM}>`);
    const threeAsks: MessageReply = {
      kind: 'message',
      content: [
        { type: 'text', text: '## Solution\n' },
        ...['security', 'backend', 'qa'].map((role) => ({
          type: 'tool_use' as const,
          name: 'request_collaboration',
          input: { ...PII, role, topic: `${PII.topic} (${role})` },
        })),
      ],
    };
    const pages = () => h.slack.callsTo('conversations.members').filter((c) => c.args.channel === PRIVATE);
    h.anthropic.script(threeAsks, textReply('Encrypt at rest.'));
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`, { channel: PRIVATE });
    expect(requests()).toHaveLength(3);
    expect(pages()).toHaveLength(3); // one full read for three requests, not three
    expect(notesIn(PRIVATE, threadTs, /isn't in this conversation/)).toHaveLength(3);

    h.anthropic.script(textReply('Still: encrypt at rest.'));
    await say('any news?', { channel: PRIVATE, threadTs });
    expect(pages()).toHaveLength(6); // the next round reads afresh, once
  });

  it('stops reading members at the page that answers', async () => {
    const crowd = Array.from({ length: 450 }, (_, i) => `U0CROWD${String(i).padStart(3, '0')}`);
    h.slack.addChannel(PRIVATE, { members: [SAM, ANA, ...crowd] }); // SAM on the first page
    await command(`owners set security <@${SAM}>`);
    h.anthropic.script(collaborationRound(PII, '## Solution\n'), textReply('Encrypt at rest.'));
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`, { channel: PRIVATE });
    expect(h.slack.threadMessages(PRIVATE, threadTs).filter(isPing)).toHaveLength(1);
    expect(h.slack.callsTo('conversations.members').filter((c) => c.args.channel === PRIVATE)).toHaveLength(
      1,
    );
  });

  it('the Home tab checks the viewer’s conversations with one users.conversations read, not one read per channel', async () => {
    await command(`owners set security <@${SAM}>`);
    const channels = ['C0HOME001', 'C0HOME002', 'C0HOME003', 'C0HOME004'];
    for (const [i, channel] of channels.entries()) {
      h.slack.addChannel(channel, { members: [ANA, SAM] });
      h.anthropic.script(
        collaborationRound({ ...PII, topic: `Grant review ${i}` }, '## Solution\n'),
        textReply('Use row access policies.'),
      );
      await say(`<@${FAKE_BOT_USER_ID}> review grants ${i}`, { channel });
    }
    h.slack.addChannel('C0HOME004', { members: [ANA] }); // SAM left this one since
    const membersBefore = h.slack.callsTo('conversations.members').length;
    const listsBefore = h.slack.callsTo('users.conversations').length;
    const home = await openHome(SAM);
    for (const i of [0, 1, 2]) expect(home).toContain(`Grant review ${i}`);
    expect(home).not.toContain('Grant review 3');
    expect(h.slack.callsTo('conversations.members').length).toBe(membersBefore);
    const lists = h.slack.callsTo('users.conversations').slice(listsBefore);
    expect(lists).toHaveLength(1);
    expect(lists[0]?.args).toMatchObject({ user: SAM });
  });

  it('an admin may close a group-owned request even when the group cannot be read (missing_scope)', async () => {
    h.slack.addUserGroup(SEC_GROUP, [SAM]);
    await aDaysWork(`<!subteam^${SEC_GROUP}|@security>`);
    const [request] = requests();
    if (!request?.ping_ts) throw new Error('no ping was posted');
    await h.restart(); // nothing cached: the next group look-up asks Slack
    h.slack.failNext('usergroups.users.list', { error: 'missing_scope' }, 10);
    expect(await click('collaboration_done', request.id, ADMIN, request.ping_ts)).toEqual([]);
    expect(requests()[0]).toMatchObject({ status: 'done', done_by: ADMIN });
  });

  it('missing_scope on conversations.members: the thread is told once, the log says which scope to add, once', async () => {
    await command(`owners set security <@${SAM}>`);
    h.slack.failNext('conversations.members', { error: 'missing_scope' }, 20);
    h.anthropic.script(collaborationRound(PII, '## Solution\n'), textReply('Encrypt at rest.'));
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`);
    h.anthropic.script(textReply('Still: encrypt at rest.'));
    await say('any news?', { threadTs });
    const thread = h.slack.threadMessages(CHANNEL, threadTs);
    expect(thread.some(isPing)).toBe(false);
    const notes = notesIn(CHANNEL, threadTs, /couldn't check with Slack whether the Security owner/);
    expect(notes).toHaveLength(1);
    expect(liveMentions(notes[0]?.text ?? '')).toEqual([]);
    const loud = h.logs.filter((line) => line.includes('missing_scope') && line.includes('channels:read'));
    expect(loud).toHaveLength(1);
    expect(loud[0]).toContain('"level":"error"');
  });

  it('a request that began without an owner still gets the invite note when its owner is not in the conversation', async () => {
    h.slack.addChannel(PRIVATE, { members: [ANA, DEV] });
    h.anthropic.script(collaborationRound(PII, '## Solution\n'), textReply('Encrypt at rest.'));
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`, { channel: PRIVATE });
    expect(notesIn(PRIVATE, threadTs, /No security owner is set/)).toHaveLength(1);
    await command(`owners set security <@${SAM}>`); // SAM is not in PRIVATE
    await h.app.idle();
    expect(h.slack.threadMessages(PRIVATE, threadTs).some(isPing)).toBe(false);
    expect(notesIn(PRIVATE, threadTs, /isn't in this conversation/)).toHaveLength(1);
  });

  it('a private digest now never calls the highlights model; --post still does', async () => {
    await aDaysWork();
    const before = h.anthropic.requests.length;
    for (let i = 0; i < 3; i++) await command('digest now', DEV);
    expect(h.anthropic.requests.length).toBe(before);
    h.anthropic.script(textReply('A quiet day.'));
    await command('digest now --post');
    expect(h.anthropic.requests.length).toBe(before + 1);
  });

  it('a display name carrying a link or markup is shown inert and short', async () => {
    h.slack.addUser({ id: ANA, profile: { display_name: 'IT: re-login at https://evil.example *now*' } });
    h.slack.addUser({ id: DEV, profile: { display_name: `visit evil.example ${'x'.repeat(60)}` } });
    await command(`owners set security <@${SAM}>`);
    h.anthropic.script(collaborationRound(PII, '## Solution\n'), textReply('Encrypt at rest.'), askQuestions);
    const threadTs = await say(`<@${FAKE_BOT_USER_ID}> store customer emails safely`);
    await say(`<@${FAKE_BOT_USER_ID}> stream clickstream events`);
    const [request] = requests();
    if (!request?.ping_ts) throw new Error('no ping was posted');
    await click('collaboration_done', request.id, ANA, request.ping_ts);
    const [line] = notesIn(CHANNEL, threadTs, /marked the \*Security\* request/);
    expect(line?.text).toBe(
      ':white_check_mark: IT: re-login at now marked the *Security* request “PII encryption for the orders mart” done.',
    );
    const digest = await command('digest now', DEV);
    expect(digest).toContain('waiting on IT: re-login at now');
    for (const text of [line?.text ?? '', digest]) {
      expect(text).not.toContain('evil');
      expect(text).not.toContain('*now*');
    }
    h.anthropic.script(
      collaborationRound({ ...PII, topic: 'Another one' }, '## Solution\n'),
      textReply('Ok.'),
    );
    const other = await say(`<@${FAKE_BOT_USER_ID}> another one`, { user: DEV });
    const [, second] = requests();
    if (!second?.ping_ts) throw new Error('no ping was posted');
    await click('collaboration_done', second.id, DEV, second.ping_ts);
    const [long] = notesIn(CHANNEL, other, /marked the \*Security\* request/);
    const name = long?.text?.match(/^:white_check_mark: (.*) marked/)?.[1] ?? '';
    expect([...name].length).toBeLessThanOrEqual(40);
    expect(name).toMatch(/^visit evil\u2024example x+…$/);
  });

  describe('Enterprise Grid admins', () => {
    const grid = (teams: string[]) => ({
      is_admin: true,
      team_id: 'T0SIBLING1', // another workspace of the organisation
      enterprise_user: {
        id: 'U0GRID001',
        enterprise_id: 'E0ORG0001',
        enterprise_name: 'Org',
        is_admin: true,
        is_owner: false,
        teams,
      },
    });

    it('accepts an org admin whose enterprise_user.teams lists this workspace', async () => {
      h.slack.addUser({ id: 'U0GRID001', ...grid(['T0SIBLING1', FAKE_TEAM_ID]) });
      expect(await command(`owners set security <@${SAM}>`, 'U0GRID001')).toContain(
        'now owns Security requests',
      );
    });

    it('refuses an org admin of other workspaces only', async () => {
      h.slack.addUser({ id: 'U0GRID001', ...grid(['T0SIBLING1']) });
      expect(await command(`owners set security <@${SAM}>`, 'U0GRID001')).toContain(
        'only workspace admins and owners',
      );
      expect(h.query('select * from owners')).toHaveLength(0);
    });
  });

  it.each([
    ['a guest flagged admin', { is_admin: true, is_restricted: true }],
    ['an admin of another workspace', { is_admin: true, is_owner: true, team_id: 'T0OTHER01' }],
  ])('refuses Done on a ping pressed by %s', async (_, flags) => {
    const who = 'U0EXT0001';
    h.slack.addUser({ id: who, ...flags });
    const threadTs = await aDaysWork();
    const [request] = requests();
    if (!request?.ping_ts) throw new Error('no ping was posted');
    const [refused] = await click('collaboration_done', request.id, who, request.ping_ts);
    expect(refused).toContain('can mark this request done');
    expect(requests()[0]).toMatchObject({ status: 'open', done_by: null });
    expect(notesIn(CHANNEL, threadTs, /marked the \*Security\* request/)).toHaveLength(0);
  });

  it.each(['-post', '—post', '–post'])('accepts `digest now %s` as --post', async (flag) => {
    await aDaysWork();
    const callsBefore = h.slack.calls.length;
    expect(await command(`digest now ${flag}`)).toContain('Posted the digest');
    expect(postsSince(callsBefore).length).toBeGreaterThan(1);
  });
});
