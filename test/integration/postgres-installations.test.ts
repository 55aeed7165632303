import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenCipher } from '../../src/security/token-cipher.js';
import { parseTokenKey } from '../../src/security/token-key.js';
import { enqueueAnswer } from '../../src/store/postgres/answer-queue.js';
import { type OpenPostgres, openPostgres } from '../../src/store/postgres/db.js';
import {
  PostgresInstallationStore,
  PostgresWorkspacePurge,
} from '../../src/store/postgres/installation-repo.js';

/**
 * Installs and uninstall purges on a real PostgreSQL (.ci/run's TEST_DATABASE_URL; graphile-worker's
 * queue needs a real server): tokens sealed per row, reinstall updates, organisation links, rotation,
 * and a purge that leaves no row and no waiting job of the workspace.
 */

const ADMIN_URL = process.env.TEST_DATABASE_URL;
const newKey = () =>
  parseTokenKey(randomBytes(32).toString('base64')) as NonNullable<ReturnType<typeof parseTokenKey>>;

describe.runIf(ADMIN_URL)('installations on PostgreSQL', () => {
  let admin: pg.Client;
  let store: OpenPostgres;
  const name = `deb_installs_${process.pid}_${Date.now()}`;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(ADMIN_URL as string);
    url.pathname = `/${name}`;
    store = await openPostgres(url.toString(), { poolSize: 4 });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  const installation = (teamId: string | undefined, enterpriseId: string | undefined, botToken: string) => ({
    enterpriseId,
    teamId,
    isEnterpriseInstall: teamId === undefined,
    appId: 'A1',
    botToken,
    botId: 'B1',
    botUserId: 'U0BOT',
    botScopes: ['chat:write', 'commands'],
    installerUserId: 'U0ADMIN',
    url: undefined,
  });

  it('seals tokens, updates on reinstall, links workspaces to their first organisation, rotates keys', async () => {
    const oldKey = newKey();
    const installs = new PostgresInstallationStore(store.db, new TokenCipher(oldKey));
    await installs.save(installation('T1', undefined, 'xoxb-one'));
    await installs.save(installation('T1', undefined, 'xoxb-two'));
    await installs.save(installation(undefined, 'E1', 'xoxb-org'));
    await installs.linkWorkspace('T2', 'E1');
    await installs.linkWorkspace('T2', 'E9');
    expect((await installs.findForTeam('T1'))?.botToken).toBe('xoxb-two');
    expect((await installs.findForTeam('T2'))?.botToken).toBe('xoxb-org');
    expect(await installs.installedTeams()).toEqual(['T1', 'T2']);
    const sealed = await store.db.execute<{ bot_token_sealed: string }>(
      sql`select bot_token_sealed from installations`,
    );
    expect(sealed.rows.every((row) => !row.bot_token_sealed.includes('xoxb'))).toBe(true);
    const rotating = new PostgresInstallationStore(store.db, new TokenCipher(newKey(), oldKey));
    expect(await rotating.resealUnderCurrentKey()).toBe(2);
    expect((await rotating.findForTeam('T1'))?.botToken).toBe('xoxb-two');
    await rotating.delete({ isEnterpriseInstall: false, teamId: 'T1' });
    expect(await rotating.findForTeam('T1')).toBeUndefined();
  });

  it("an uninstall purge deletes every row and waiting job of the workspace, and nothing of another's", async () => {
    for (const team of ['T0GONE', 'T0STAY']) {
      await store.db.execute(sql`insert into tasks (team_id, channel_id, requester_id, source, text, title)
        values (${team}, 'C1', 'U1', 'command', 'x', 'x')`);
      await store.db.execute(
        sql`insert into channel_contexts (team_id, channel_id, text, set_by) values (${team}, 'C1', 'x', 'U1')`,
      );
    }
    const ids = await store.db.execute<{ id: number; team_id: string }>(sql`select id, team_id from tasks`);
    for (const row of ids.rows) await store.db.transaction((tx) => enqueueAnswer(tx, row.team_id, row.id));
    const deleted = await new PostgresWorkspacePurge(store.db).purgeTeam('T0GONE');
    expect(deleted).toMatchObject({ answer_jobs: 1, tasks: 1, channel_contexts: 1 });
    const left = await store.db.execute<{ team_id: string }>(sql`select team_id from tasks`);
    expect(left.rows).toEqual([{ team_id: 'T0STAY' }]);
    const jobs = await store.db.execute<{ team: string }>(
      sql`select payload->>'teamId' as team from graphile_worker._private_jobs`,
    );
    expect(jobs.rows).toEqual([{ team: 'T0STAY' }]);
  });
});
