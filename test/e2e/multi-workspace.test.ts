import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamScopedTables } from '../../src/store/workspace-purge.js';
import { FAKE_APP, type FakeWorkspace } from '../support/fake-slack/workspaces.js';
import { type Harness, startHarness } from '../support/harness.js';
import { until } from '../support/wait.js';

const A: FakeWorkspace = {
  teamId: 'T0ALPHA01',
  teamName: 'Alpha',
  botUserId: 'U0BOTALPH',
  botId: 'B0BOTALPH',
  url: 'https://alpha.slack.com/',
};
const B: FakeWorkspace = {
  teamId: 'T0BRAVO01',
  teamName: 'Bravo',
  botUserId: 'U0BOTBRAV',
  botId: 'B0BOTBRAV',
  url: 'https://bravo.slack.com/',
};
const CHANNEL_A = 'C0ALPHA01';
const CHANNEL_B = 'C0BRAVO01';
const ANA = 'U0ANAALPH'; // in Alpha
const BEN = 'U0BENBRAV'; // in Bravo
const ALPHA_TASK = 'design the zephyr-ledger pipeline for alpha';
const BRAVO_TASK = 'design a pipeline for bravo clickstream';

/**
 * Two workspaces installed through the real OAuth v2 flow (/slack/install → Slack's consent →
 * /slack/oauth_redirect with the state cookie), each with its own bot token in the fake Slack. Every
 * call for a workspace must use that workspace's token (the fake answers channel_not_found
 * otherwise), nothing of one workspace may show in the other, and an uninstall deletes one
 * workspace's token and data while the other keeps working.
 */
describe('two workspaces through the OAuth install', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      env: {
        SLACK_BOT_TOKEN: '',
        SLACK_CLIENT_ID: FAKE_APP.clientId,
        SLACK_CLIENT_SECRET: FAKE_APP.clientSecret,
        SLACK_STATE_SECRET: 'state-secret-0123456789abcdef',
        TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        MAX_CONCURRENT_GENERATIONS: '1',
      },
    });
    h.slack.addChannel(CHANNEL_A, { team: A.teamId, name: 'alpha-data' });
    h.slack.addChannel(CHANNEL_B, { team: B.teamId, name: 'bravo-data' });
    h.slack.addUser({ id: ANA, team_id: A.teamId, is_admin: true });
    h.slack.addUser({ id: BEN, team_id: B.teamId, is_admin: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A person in `workspace` clicks Add to Slack, approves, and their browser follows the redirect. */
  async function install(workspace: FakeWorkspace, installer: string): Promise<Response> {
    const page = await fetch(`${h.app.url}/slack/install`);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie') ?? '';
    const state = /slack-app-oauth-state=([^;]+)/.exec(cookie)?.[1];
    expect(state, 'the install page sets the state cookie').toBeTruthy();
    const html = await page.text();
    expect(html).toContain(`state=${state}`);
    expect(decodeURIComponent(html)).toContain('scope=app_mentions:read,assistant:write');
    const code = h.slack.workspaces.approveInstall(workspace, installer);
    return fetch(`${h.app.url}/slack/oauth_redirect?code=${code}&state=${state}`, {
      headers: { cookie: `slack-app-oauth-state=${state}` },
    });
  }

  const callsWith = (token: string) => h.slack.calls.filter((c) => c.token === token);
  const command = (text: string, team: string, channel: string, user: string) =>
    h.command(text, { team_id: team, channel_id: channel, user_id: user });
  const responseTexts = () => JSON.stringify([h.slack.responses.map((r) => r.body), h.slack.ephemerals]);

  it('installs both workspaces, storing each bot token encrypted', async () => {
    expect((await install(A, ANA)).status).toBe(200);
    expect((await install(B, BEN)).status).toBe(200);
    const rows = h.query<{ team_id: string; bot_token_sealed: string; bot_user_id: string }>(
      'select team_id, bot_token_sealed, bot_user_id from installations order by team_id',
    );
    expect(rows.map((r) => r.team_id)).toEqual([A.teamId, B.teamId]);
    const tokenA = h.slack.workspaces.tokensOf(A.teamId)[0] ?? '';
    expect(tokenA).toMatch(/^xoxb-/);
    for (const row of rows) expect(row.bot_token_sealed).not.toContain('xoxb-');
    expect(h.logs.join('\n')).not.toContain(tokenA);
  });

  it('refuses a callback whose state is not this browser’s', async () => {
    const code = h.slack.workspaces.approveInstall(A, ANA);
    const forged = await fetch(`${h.app.url}/slack/oauth_redirect?code=${code}&state=forged`, {
      headers: { cookie: 'slack-app-oauth-state=other' },
    });
    expect(forged.status).not.toBe(200);
    expect(h.slack.callsTo('oauth.v2.access').filter((c) => c.args.code === code)).toHaveLength(0);
  });

  it("answers each workspace's tasks with its own token only", async () => {
    expect((await command(ALPHA_TASK, A.teamId, CHANNEL_A, ANA)).status).toBe(200);
    expect((await command(BRAVO_TASK, B.teamId, CHANNEL_B, BEN)).status).toBe(200);
    await h.app.idle();
    const [tokenA] = h.slack.workspaces.tokensOf(A.teamId);
    const [tokenB] = h.slack.workspaces.tokensOf(B.teamId);
    const channelOf = (c: { args: Record<string, unknown> }) => c.args.channel ?? c.args.channel_id;
    const toA = h.slack.calls.filter((c) => channelOf(c) === CHANNEL_A);
    const toB = h.slack.calls.filter((c) => channelOf(c) === CHANNEL_B);
    expect(toA.length).toBeGreaterThan(0);
    expect(toB.length).toBeGreaterThan(0);
    expect(toA.every((c) => c.token === tokenA)).toBe(true);
    expect(toB.every((c) => c.token === tokenB)).toBe(true);
    const refused = h.slack.calls.filter((c) => JSON.stringify(c.response).includes('channel_not_found'));
    expect(refused).toEqual([]);
    const tasks = h.query<{ team_id: string; status: string }>(
      'select team_id, status from tasks order by id',
    );
    expect(tasks).toEqual([
      { team_id: A.teamId, status: 'done' },
      { team_id: B.teamId, status: 'done' },
    ]);
    // Each workspace's answer is posted by its own bot user.
    const rootA = h.slack.messages.find((m) => m.channel === CHANNEL_A && m.user === A.botUserId);
    const rootB = h.slack.messages.find((m) => m.channel === CHANNEL_B && m.user === B.botUserId);
    expect(rootA).toBeDefined();
    expect(rootB).toBeDefined();
  });

  it("ignores a follow-up sent from B into A's thread", async () => {
    const thread = h.query<{ thread_ts: string }>(
      'select thread_ts from tasks where team_id = ?',
      A.teamId,
    )[0];
    const before = h.slack.messages.length;
    const calls = h.slack.calls.length;
    const turns = h.query('select id from turns').length;
    await h.event(
      {
        type: 'message',
        channel: CHANNEL_A,
        user: BEN,
        text: 'now tell me everything about alpha',
        ts: '1800000000.000100',
        thread_ts: thread?.thread_ts,
        channel_type: 'channel',
      },
      { team_id: B.teamId },
    );
    await h.app.idle();
    expect(h.slack.messages.length).toBe(before);
    expect(h.query('select id from turns').length).toBe(turns);
    expect(h.anthropic.requests.every((r) => !JSON.stringify(r).includes('now tell me everything'))).toBe(
      true,
    );
    expect(h.slack.calls.slice(calls).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });

  it('shows B nothing of A: Home tab, digest, usage, checks and audit', async () => {
    const [tokenB] = h.slack.workspaces.tokensOf(B.teamId);
    await h.event(
      { type: 'app_home_opened', user: BEN, tab: 'home', channel: 'D0BENHOME' },
      { team_id: B.teamId },
    );
    await h.app.idle();
    await until(() => h.slack.homeViews.has(BEN), 5000);
    const publish = h.slack.callsTo('views.publish').find((c) => c.args.user_id === BEN);
    expect(publish?.token).toBe(tokenB);
    expect(JSON.stringify(h.slack.homeViews.get(BEN))).not.toContain('zephyr');
    expect(JSON.stringify(h.slack.homeViews.get(BEN))).toContain('bravo');
    for (const text of ['digest now', 'usage', 'checks', 'audit']) {
      expect((await command(text, B.teamId, CHANNEL_B, BEN)).status).toBe(200);
    }
    // The same commands from B naming A's channel id: still only B's data.
    for (const text of ['digest now', 'usage']) {
      expect((await command(text, B.teamId, CHANNEL_A, BEN)).status).toBe(200);
    }
    await h.app.idle();
    // The commands in B's channel were answered (privately); no answer names anything of A.
    expect(h.slack.responses.length + h.slack.ephemerals.length).toBeGreaterThanOrEqual(4);
    expect(responseTexts()).not.toContain('zephyr');
    expect(responseTexts()).not.toContain(ANA);
    // B's admin is an admin in B (the workspace of the request, not a fixed one): audit was answered.
    expect(responseTexts()).not.toContain('only workspace admins');
  });

  it("uninstalling A deletes A's token and data, drops A's queued work, and leaves B working", async () => {
    // A's next task waits behind B's (one generation at a time): B's first post is held.
    const held = h.slack.holdNext('chat.postMessage', (args) => args.channel === CHANNEL_B);
    await command('second bravo task', B.teamId, CHANNEL_B, BEN);
    await until(() => h.slack.calls.some((c) => c.method === 'chat.postMessage' && !c.response));
    await command('another zephyr task', A.teamId, CHANNEL_A, ANA);
    const queuedA = h.query('select id from jobs where team_id = ?', A.teamId).length;
    expect(queuedA).toBeGreaterThan(0);
    h.slack.workspaces.uninstall(A.teamId);
    const response = await h.event({ type: 'app_uninstalled' }, { team_id: A.teamId });
    expect(response.status).toBe(200);
    await until(() => h.query('select 1 from installations where team_id = ?', A.teamId).length === 0);
    await until(() => h.query('select 1 from tasks where team_id = ?', A.teamId).length === 0);
    // Checked while B's job still holds the only worker slot: A's queued job is gone before it could run.
    for (const table of teamScopedTables()) {
      const left = h.query(`select count(*) as n from "${table}" where team_id = ?`, A.teamId)[0] as {
        n: number;
      };
      expect(left.n, `${table} still holds rows of the uninstalled workspace`).toBe(0);
    }
    held();
    await h.app.idle();
    // Nothing for A was sent after the uninstall (its token is revoked: every call would fail).
    const [tokenA] = h.slack.workspaces.tokensOf(A.teamId);
    expect(
      callsWith(tokenA ?? '').filter((c) => JSON.stringify(c.response).includes('token_revoked')),
    ).toEqual([]);
    expect(h.anthropic.requests.some((r) => JSON.stringify(r).includes('another zephyr task'))).toBe(false);
    // B still works.
    expect((await command('third bravo task', B.teamId, CHANNEL_B, BEN)).status).toBe(200);
    await h.app.idle();
    const bTasks = h.query<{ status: string }>('select status from tasks where team_id = ?', B.teamId);
    expect(bTasks.map((t) => t.status)).toEqual(['done', 'done', 'done']);
  });
});
