import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import type { FakeWorkspace } from '../support/fake-slack/workspaces.js';
import { FAKE_BOT_USER_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { fakeWorkspace, installWorkspace, OAUTH_ENV } from '../support/oauth-install.js';
import { blockActionsBody, eventEnvelope, postSigned } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0PGDATA1';
const ANA = 'U0ANA0001';
const ANSWER = dataEngineeringAnswer('Orders mart on PostgreSQL');

/**
 * The whole bot with DATABASE_URL set: the PostgreSQL store, its migrations at start-up and the
 * graphile-worker answer queue, over the same fakes as every other end-to-end test. graphile-worker
 * needs a real server (LISTEN/NOTIFY, advisory locks), so these run where .ci/run provides one
 * (TEST_DATABASE_URL); each test gets a throwaway database.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('the bot on PostgreSQL (DATABASE_URL)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  async function start(options: Parameters<typeof startHarness>[0] = {}): Promise<void> {
    h = await startHarness({ ...options, store: 'postgres' });
    h.slack.addUser({ id: ANA });
  }

  let events = 0;
  /** A mention (a new task) or a reply in a thread, delivered as Slack does, to `url` (an instance). */
  async function say(text: string, options: { threadTs?: string; url?: string } = {}): Promise<string> {
    const { threadTs } = options;
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
    const envelope = eventEnvelope(event, { event_id: `EvPg${events}` });
    // As Slack does, a delivery answered 5xx is sent again (at most three retries), marked as a retry.
    for (let attempt = 0; ; attempt++) {
      const response = await postSigned(`${options.url ?? h.app.url}/slack/events`, envelope, {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/json',
        headers:
          attempt > 0 ? { 'x-slack-retry-num': String(attempt), 'x-slack-retry-reason': 'http_error' } : {},
      });
      if (response.status < 500 || attempt === 3) {
        expect(response.status).toBe(200);
        return message.ts;
      }
    }
  }

  /** The bot's final answers in a thread (streamed answers carry markdown_text). */
  const answersIn = (threadTs: string) =>
    h.slack.messages.filter((m) => m.thread_ts === threadTs && m.markdown_text !== undefined);
  const statuses = async () =>
    (await h.sql<{ status: string }>('select status from tasks order by id')).map((t) => t.status);

  it('answers a mention and its follow-up, stores both turns, and leaves the queue empty', async () => {
    await start();
    h.anthropic.script(textReply(ANSWER), textReply('Partition by order date, not by customer.'));
    const ts = await say(`<@${FAKE_BOT_USER_ID}> build an orders mart`);
    await h.app.idle();
    await say('how should we partition it?', { threadTs: ts });
    await h.app.idle();
    expect(answersIn(ts).map((m) => m.markdown_text?.trim())).toEqual([
      ANSWER.trim(),
      'Partition by order date, not by customer.',
    ]);
    expect(await statuses()).toEqual(['done']);
    const turns = await h.sql<{ role: string }>('select role from turns order by id');
    expect(turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(await h.sql('select id from graphile_worker.jobs')).toEqual([]);
  });

  it('keeps working after the server ends all its connections (a restart or failover)', async () => {
    await start();
    h.anthropic.setDefault(textReply(ANSWER));
    const first = await say(`<@${FAKE_BOT_USER_ID}> build an orders mart`);
    await h.app.idle();
    const [{ db } = { db: '' }] = await h.sql<{ db: string }>('select current_database() as db');
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    const ended = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [db],
    );
    await admin.end();
    expect(ended.rowCount).toBeGreaterThan(0);
    // The pools reconnect (a request that met a dead connection first is answered 500, and Slack's retry
    // of it succeeds); graphile-worker listens again; nothing crashed the process.
    const second = await say(`<@${FAKE_BOT_USER_ID}> and a customers mart`);
    await until(() => answersIn(second).length === 1, 20_000);
    await h.app.idle();
    expect(answersIn(first)).toHaveLength(1);
    expect(answersIn(second)).toHaveLength(1);
  });

  it('two instances on one database answer every task exactly once, whichever took the request', async () => {
    await start({ env: { MAX_CONCURRENT_GENERATIONS: '2' } });
    h.anthropic.setDefault(textReply(ANSWER, { firstTokenDelayMs: 20 }));
    const peer = await h.startPeer();
    const threads: string[] = [];
    for (let i = 0; i < 12; i++)
      threads.push(await say(`<@${FAKE_BOT_USER_ID}> pipeline ${i}`, { url: i % 2 ? peer.url : h.app.url }));
    await Promise.all([h.app.idle(), peer.idle()]);
    for (const ts of threads) expect(answersIn(ts), `thread ${ts}`).toHaveLength(1);
    expect(h.anthropic.requests).toHaveLength(12);
    expect(await statuses()).toEqual(Array(12).fill('done'));
  });

  it('an answer cut short by a stop loses nothing: the next start answers the task once', async () => {
    await start();
    h.anthropic.script({
      kind: 'message',
      content: [{ type: 'text', text: 'never sent' }],
      gate: new Promise(() => {}),
    });
    const ts = await say(`<@${FAKE_BOT_USER_ID}> build an orders mart`);
    await until(() => h.anthropic.requests.length === 1);
    h.anthropic.setDefault(textReply(ANSWER));
    // Stops with a grace period of 0 (the answer is cut short and handed back), then starts again. A
    // process killed outright is taken over by another: test/integration/postgres-answer-queue.test.ts.
    await h.restart();
    await until(async () => (await statuses())[0] === 'done', 20_000);
    await h.app.idle();
    expect(answersIn(ts)).toHaveLength(1);
    expect(answersIn(ts)[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
  });

  it('Stop pressed on one instance stops the answer another instance is writing', async () => {
    await start();
    h.anthropic.setDefault(textReply(ANSWER, { firstTokenDelayMs: 10, tokensPerSecond: 20 }));
    const peer = await h.startPeer();
    const ts = await say(`<@${FAKE_BOT_USER_ID}> build an orders mart`);
    const stopControl = () =>
      h.slack.messages.find(
        (m) => m.thread_ts === ts && JSON.stringify(m.blocks ?? []).includes('task_stop'),
      );
    await until(() => stopControl() !== undefined);
    // Whichever instance writes the answer, the click goes to both (Slack's load balancer picks one;
    // the other finds nothing of its own to stop and records the Stop for the writer).
    for (const url of [h.app.url, peer.url]) {
      const click = await postSigned(
        `${url}/slack/events`,
        blockActionsBody({
          userId: ANA,
          channelId: CHANNEL,
          messageTs: stopControl()?.ts ?? '',
          actionId: 'task_stop',
          value: '1',
          responseUrl: h.slack.responseUrl(),
        }),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
      );
      expect(click.status).toBe(200);
    }
    await until(() => h.slack.messages.some((m) => m.thread_ts === ts && /Stopped by/.test(m.text ?? '')));
    await Promise.all([h.app.idle(), peer.idle()]);
    expect(
      h.slack.messages.filter((m) => m.thread_ts === ts && /Stopped by/.test(m.text ?? '')),
    ).toHaveLength(1);
    expect(answersIn(ts)[0]?.markdown_text?.trim()).not.toBe(ANSWER.trim());
    expect(await statuses()).toEqual(['done']);
  });

  it('posts a missed scheduled digest once when two instances start together', async () => {
    // A zone where it is now about 12:xx, with the digest due at 11:00 local: already passed today.
    const offset = 12 - new Date().getUTCHours();
    const zone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    await start({ tuning: { digestScheduler: true }, env: { DIGEST_TIME: '11:00', DIGEST_TIMEZONE: zone } });
    h.anthropic.script(textReply(ANSWER));
    await say(`<@${FAKE_BOT_USER_ID}> build an orders mart`);
    await h.app.idle();
    const digests = () => h.slack.messages.filter((m) => m.channel === CHANNEL && m.bot_id && !m.thread_ts);
    expect(digests()).toHaveLength(0);
    // The task happened three hours ago, before today's 11:00, while the bot was "down".
    const earlier = Date.now() - 3 * 3_600_000;
    await h.sql(
      'update tasks set created_at = ?, updated_at = ?, completed_at = ?',
      earlier,
      earlier,
      earlier,
    );
    await Promise.all([h.restart(), h.startPeer()]);
    await until(() => digests().length > 0);
    await h.app.idle();
    expect(digests()).toHaveLength(1);
    expect(await h.sql('select status from digest_runs')).toEqual([{ status: 'posted' }]);
  });
});

const ALPHA = fakeWorkspace('alpha');
const BRAVO = fakeWorkspace('bravo');

describe.skipIf(!process.env.TEST_DATABASE_URL)('two workspaces on PostgreSQL', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const install = (ws: FakeWorkspace, installer: string) => installWorkspace(h, ws, installer);

  it('answers each with its own token, and an uninstall deletes only that workspace', async () => {
    h = await startHarness({
      store: 'postgres',
      env: {
        MAX_CONCURRENT_GENERATIONS: '1',
        ...OAUTH_ENV(),
      },
    });
    h.slack.addChannel('C0ALPHA01', { team: ALPHA.teamId, name: 'alpha-data' });
    h.slack.addChannel('C0BRAVO01', { team: BRAVO.teamId, name: 'bravo-data' });
    h.slack.addUser({ id: 'U0ANAALPH', team_id: ALPHA.teamId });
    h.slack.addUser({ id: 'U0BENBRAV', team_id: BRAVO.teamId });
    await install(ALPHA, 'U0ANAALPH');
    await install(BRAVO, 'U0BENBRAV');
    const sealed = await h.sql<{ team_id: string; bot_token_sealed: string }>(
      'select team_id, bot_token_sealed from installations order by team_id',
    );
    expect(sealed.map((r) => r.team_id)).toEqual([ALPHA.teamId, BRAVO.teamId]);
    for (const row of sealed) expect(row.bot_token_sealed).not.toContain('xoxb-');

    await h.command('design the alpha ledger', {
      team_id: ALPHA.teamId,
      channel_id: 'C0ALPHA01',
      user_id: 'U0ANAALPH',
    });
    await h.command('design the bravo clickstream', {
      team_id: BRAVO.teamId,
      channel_id: 'C0BRAVO01',
      user_id: 'U0BENBRAV',
    });
    await h.app.idle();
    const [tokenA] = h.slack.workspaces.tokensOf(ALPHA.teamId);
    const [tokenB] = h.slack.workspaces.tokensOf(BRAVO.teamId);
    const channelOf = (c: { args: Record<string, unknown> }) => c.args.channel ?? c.args.channel_id;
    const toA = h.slack.calls.filter((c) => channelOf(c) === 'C0ALPHA01');
    const toB = h.slack.calls.filter((c) => channelOf(c) === 'C0BRAVO01');
    expect(toA.length).toBeGreaterThan(0);
    expect(toA.every((c) => c.token === tokenA)).toBe(true);
    expect(toB.every((c) => c.token === tokenB)).toBe(true);
    const byTeam = await h.sql<{ team_id: string; status: string }>(
      'select team_id, status from tasks order by id',
    );
    expect(byTeam).toEqual([
      { team_id: ALPHA.teamId, status: 'done' },
      { team_id: BRAVO.teamId, status: 'done' },
    ]);

    // A's next task waits in the queue behind B's (one answer at a time; B's first post is held).
    const held = h.slack.holdNext('chat.postMessage', (args) => args.channel === 'C0BRAVO01');
    await h.command('second bravo task', {
      team_id: BRAVO.teamId,
      channel_id: 'C0BRAVO01',
      user_id: 'U0BENBRAV',
    });
    await until(() => h.slack.calls.some((c) => c.method === 'chat.postMessage' && !c.response));
    await h.command('another alpha task', {
      team_id: ALPHA.teamId,
      channel_id: 'C0ALPHA01',
      user_id: 'U0ANAALPH',
    });
    const queuedForA = () =>
      h.sql<{ n: number }>(
        `select count(*)::int as n from graphile_worker.jobs j
           join graphile_worker._private_jobs p on p.id = j.id
          where p.payload->>'teamId' = ?`,
        ALPHA.teamId,
      );
    expect((await queuedForA())[0]?.n).toBe(1);

    h.slack.workspaces.uninstall(ALPHA.teamId);
    expect((await h.event({ type: 'app_uninstalled' }, { team_id: ALPHA.teamId })).status).toBe(200);
    await until(
      async () => (await h.sql('select 1 from tasks where team_id = ?', ALPHA.teamId)).length === 0,
    );
    const tables = await h.sql<{ table_name: string }>(
      `select table_name from information_schema.columns
        where table_schema = 'public' and column_name = 'team_id'`,
    );
    expect(tables.length).toBeGreaterThan(10);
    for (const { table_name } of tables) {
      const [left] = await h.sql<{ n: number }>(
        `select count(*)::int as n from "${table_name}" where team_id = ?`,
        ALPHA.teamId,
      );
      expect(left?.n, `${table_name} still holds rows of the uninstalled workspace`).toBe(0);
    }
    expect(await h.sql('select team_id from installations')).toEqual([{ team_id: BRAVO.teamId }]);
    // A's queued answer went with it (it carried A's response_url): B's answer goes on, A's never runs.
    expect((await queuedForA())[0]?.n).toBe(0);
    held();
    await h.app.idle();
    expect(h.anthropic.requests.some((r) => JSON.stringify(r).includes('another alpha task'))).toBe(false);
  });

  it('an instance schedules the digests of a workspace installed through another instance', async () => {
    // A zone where it is now about 12:xx, with the digest due at 11:00 local: already passed today.
    const offset = 12 - new Date().getUTCHours();
    const zone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    h = await startHarness({
      store: 'postgres',
      // Instance 1 handles the install and runs no digests; the peer, running before it, does.
      tuning: { digestScheduler: false },
      env: {
        ...OAUTH_ENV(),
        DIGEST_TIME: '11:00',
        DIGEST_TIMEZONE: zone,
      },
    });
    const peer = await h.startPeer({ digestScheduler: true, installSyncMs: 100 });
    // A day's work in Alpha's channel, three hours ago (before today's 11:00).
    const earlier = Date.now() - 3 * 3_600_000;
    await h.sql(
      `insert into tasks (team_id, channel_id, requester_id, source, text, title, status, created_at, updated_at, completed_at)
       values (?, 'C0ALPHA01', 'U0ANAALPH', 'command', 'design the alpha ledger', 'alpha ledger', 'done', ?, ?, ?)`,
      ALPHA.teamId,
      earlier,
      earlier,
      earlier,
    );
    h.slack.addChannel('C0ALPHA01', { team: ALPHA.teamId, name: 'alpha-data' });
    h.slack.addUser({ id: 'U0ANAALPH', team_id: ALPHA.teamId });
    await install(ALPHA, 'U0ANAALPH');
    const digests = () =>
      h.slack.messages.filter(
        (m) => m.channel === 'C0ALPHA01' && !m.thread_ts && /\*1\* asked/.test(m.text ?? ''),
      );
    // The peer learns of the install from the database and posts the missed digest, once.
    await until(() => digests().length > 0, 10_000);
    await peer.idle();
    expect(digests()).toHaveLength(1);
  });
});
