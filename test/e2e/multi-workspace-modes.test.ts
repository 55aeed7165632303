import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { teamScopedTables } from '../../src/store/workspace-purge.js';
import type { FakeWorkspace } from '../support/fake-slack/workspaces.js';
import { FAKE_APP_TOKEN } from '../support/fake-socket-mode/index.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import {
  installWorkspace as install,
  OAUTH_ENV,
  fakeWorkspace as workspace,
} from '../support/oauth-install.js';
import { eventEnvelope, postSigned, slashCommandBody } from '../support/slack-signing.js';

const countOf = (h: Harness, table: string, teamId: string) =>
  (h.query(`select count(*) as n from "${table}" where team_id = ?`, teamId)[0] as { n: number }).n;

describe('the OAuth install in other shapes', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('Socket Mode: installs over the HTTP port and answers each workspace with its own token', async () => {
    h = await startHarness({ env: { ...OAUTH_ENV(), SLACK_APP_TOKEN: FAKE_APP_TOKEN } });
    const alpha = workspace('alpha');
    const bravo = workspace('bravo');
    h.slack.addChannel('C0ALPHA01', { team: alpha.teamId });
    h.slack.addChannel('C0BRAVO01', { team: bravo.teamId });
    await install(h, alpha, 'U0ANA0001');
    await install(h, bravo, 'U0BEN0001');
    for (const [ws, channel] of [
      [alpha, 'C0ALPHA01'],
      [bravo, 'C0BRAVO01'],
    ] as const) {
      const fields = slashCommandBody({
        text: `design a pipeline for ${ws.teamName}`,
        team_id: ws.teamId,
        channel_id: channel,
        user_id: 'U0ANA0001',
        response_url: h.slack.responseUrl(),
      });
      await h.slack.socketMode.slashCommand(Object.fromEntries(new URLSearchParams(fields)));
    }
    await h.app.idle();
    for (const [ws, channel] of [
      [alpha, 'C0ALPHA01'],
      [bravo, 'C0BRAVO01'],
    ] as const) {
      const [token] = h.slack.workspaces.tokensOf(ws.teamId);
      const calls = h.slack.calls.filter((c) => c.args.channel === channel);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.every((c) => c.token === token)).toBe(true);
    }
    const tasks = h.query<{ status: string }>('select status from tasks');
    expect(tasks.map((t) => t.status)).toEqual(['done', 'done']);
  });

  it('tokens_revoked for the bot deletes the workspace; a revoked user token alone does not', async () => {
    h = await startHarness({ env: OAUTH_ENV() });
    const alpha = workspace('alpha');
    h.slack.addChannel('C0ALPHA01', { team: alpha.teamId });
    await install(h, alpha, 'U0ANA0001');
    await h.command('design a pipeline', { team_id: alpha.teamId, channel_id: 'C0ALPHA01' });
    await h.app.idle();
    expect(countOf(h, 'tasks', alpha.teamId)).toBe(1);
    const revoke = (tokens: Record<string, string[]>) =>
      h.event({ type: 'tokens_revoked', tokens }, { team_id: alpha.teamId });
    expect((await revoke({ oauth: ['U0ANA0001'] })).status).toBe(200);
    await h.app.idle();
    expect(countOf(h, 'tasks', alpha.teamId)).toBe(1);
    expect(countOf(h, 'installations', alpha.teamId)).toBe(1);
    h.slack.workspaces.uninstall(alpha.teamId);
    expect((await revoke({ bot: [alpha.botUserId] })).status).toBe(200);
    await h.app.idle();
    for (const table of teamScopedTables()) expect(countOf(h, table, alpha.teamId), table).toBe(0);
  });

  it('Enterprise Grid: an organisation-wide install serves its workspaces, each scoped by its team_id', async () => {
    h = await startHarness({ env: OAUTH_ENV() });
    const org: FakeWorkspace = {
      ...workspace('org'),
      teamId: 'E0ORG0001',
      enterpriseId: 'E0ORG0001',
      orgWorkspaces: ['T0ORGW001', 'T0ORGW002'],
    };
    h.slack.addChannel('C0ORGW001', { team: 'T0ORGW001' });
    h.slack.addChannel('C0ORGW002', { team: 'T0ORGW002' });
    await install(h, org, 'U0ORGADMN');
    const rows = h.query<{ installation_key: string; team_id: string | null; is_enterprise_install: number }>(
      'select installation_key, team_id, is_enterprise_install from installations',
    );
    expect(rows).toEqual([{ installation_key: 'E:E0ORG0001', team_id: null, is_enterprise_install: 1 }]);
    for (const [team, channel] of [
      ['T0ORGW001', 'C0ORGW001'],
      ['T0ORGW002', 'C0ORGW002'],
    ]) {
      const body = new URLSearchParams(
        slashCommandBody({
          text: `design a pipeline for ${team}`,
          team_id: team,
          channel_id: channel ?? '',
          response_url: h.slack.responseUrl(),
        }),
      );
      body.set('enterprise_id', 'E0ORG0001');
      body.set('is_enterprise_install', 'true');
      const response = await postSigned(`${h.app.url}/slack/events`, body.toString(), {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(response.status).toBe(200);
    }
    await h.app.idle();
    const [token] = h.slack.workspaces.tokensOf('E0ORG0001');
    const posts = h.slack.calls.filter((c) => String(c.args.channel ?? '').startsWith('C0ORGW'));
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((c) => c.token === token)).toBe(true);
    const tasks = h.query<{ team_id: string; status: string }>(
      'select team_id, status from tasks order by id',
    );
    expect(tasks).toEqual([
      { team_id: 'T0ORGW001', status: 'done' },
      { team_id: 'T0ORGW002', status: 'done' },
    ]);
    // The organisation removes the app: every workspace seen under it loses its data.
    h.slack.workspaces.uninstall('E0ORG0001');
    const envelope = JSON.parse(eventEnvelope({ type: 'app_uninstalled' }, { team_id: 'T0ORGW001' }));
    envelope.enterprise_id = 'E0ORG0001';
    envelope.authorizations[0].enterprise_id = 'E0ORG0001';
    envelope.authorizations[0].is_enterprise_install = true;
    const gone = await postSigned(`${h.app.url}/slack/events`, JSON.stringify(envelope), {
      signingSecret: TEST_SECRETS.signingSecret,
      contentType: 'application/json',
    });
    expect(gone.status).toBe(200);
    await h.app.idle();
    expect(h.query('select * from installations')).toEqual([]);
    for (const team of ['T0ORGW001', 'T0ORGW002'])
      for (const table of teamScopedTables()) expect(countOf(h, table, team), `${table} ${team}`).toBe(0);
  });
  it("posts each workspace's scheduled digest with its own token, naming only its own tasks", async () => {
    // A zone where it is now about 12:xx, with the digest due at 11:00 local: already passed today.
    const offset = 12 - new Date().getUTCHours();
    const zone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    h = await startHarness({
      tuning: { digestScheduler: true },
      env: { ...OAUTH_ENV(), DIGEST_TIME: '11:00', DIGEST_TIMEZONE: zone },
    });
    const alpha = workspace('alpha');
    const bravo = workspace('bravo');
    const channels = { [alpha.teamId]: 'C0ALPHA01', [bravo.teamId]: 'C0BRAVO01' };
    h.slack.addChannel('C0ALPHA01', { team: alpha.teamId });
    h.slack.addChannel('C0BRAVO01', { team: bravo.teamId });
    await install(h, alpha, 'U0ANA0001');
    await install(h, bravo, 'U0BEN0001');
    for (const ws of [alpha, bravo]) {
      await h.command(`build the ${ws.teamName}-only orders mart`, {
        team_id: ws.teamId,
        channel_id: channels[ws.teamId],
      });
    }
    await h.app.idle();
    const writer = new Database(h.databasePath);
    const earlier = Date.now() - 3 * 3_600_000;
    writer
      .prepare('update tasks set created_at = ?, updated_at = ?, completed_at = ?')
      .run(earlier, earlier, earlier);
    writer.close();
    const before = h.slack.calls.length;
    await h.restart();
    await h.app.idle();
    for (const [ws, other] of [
      [alpha, bravo],
      [bravo, alpha],
    ] as const) {
      const channel = channels[ws.teamId] ?? '';
      const [token] = h.slack.workspaces.tokensOf(ws.teamId);
      const digestCalls = h.slack.calls.slice(before).filter((c) => c.args.channel === channel);
      expect(digestCalls.length).toBeGreaterThan(0);
      expect(digestCalls.every((c) => c.token === token)).toBe(true);
      const text = JSON.stringify(digestCalls.map((c) => c.args));
      expect(text).toContain('*1* asked');
      expect(text).not.toContain(`${other.teamName}-only`);
    }
    const runs = h.query<{ team_id: string; status: string }>(
      'select team_id, status from digest_runs order by team_id',
    );
    expect(runs).toEqual([
      { team_id: alpha.teamId, status: 'posted' },
      { team_id: bravo.teamId, status: 'posted' },
    ]);
  });
});
