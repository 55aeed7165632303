import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uninstallWorkspace } from '../../src/core/installations/uninstall.js';
import { TokenCipher } from '../../src/security/token-cipher.js';
import { parseTokenKey } from '../../src/security/token-key.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteInstallationStore } from '../../src/store/installation-repo.js';
import { SqliteWorkspacePurge } from '../../src/store/workspace-purge.js';
import { quietLogger } from '../support/quiet-logger.js';

/** Uninstalls with Enterprise Grid: an organisation's install never takes a workspace's own with it. */

function setUp() {
  const database = openDatabase(':memory:');
  const cipher = new TokenCipher(
    parseTokenKey(randomBytes(32).toString('base64')) as NonNullable<ReturnType<typeof parseTokenKey>>,
  );
  const installations = new SqliteInstallationStore(database.sqlite, cipher);
  const install = (key: { teamId?: string; enterpriseId?: string }, token: string) =>
    installations.save({
      enterpriseId: key.enterpriseId,
      teamId: key.teamId,
      isEnterpriseInstall: key.teamId === undefined,
      appId: 'A1',
      botToken: token,
      botId: 'B1',
      botUserId: 'U0BOT',
      botScopes: ['chat:write'],
      installerUserId: 'U0ADMIN',
      url: undefined,
    });
  const context = (teamId: string) =>
    database.sqlite
      .prepare("insert into channel_contexts (team_id, channel_id, text, set_by) values (?, 'C1', 'x', 'U1')")
      .run(teamId);
  const forgotten: string[] = [];
  const deps = {
    installations,
    purge: new SqliteWorkspacePurge(database.sqlite),
    forgetWorkspace: (teamId: string) => forgotten.push(teamId),
    logger: quietLogger,
  };
  return { database, installations, install, context, deps, forgotten };
}

describe('uninstall with Enterprise Grid', () => {
  it("an organisation's uninstall deletes the workspaces it alone served, not one with its own install", async () => {
    const { database, installations, install, context, deps, forgotten } = setUp();
    await install({ enterpriseId: 'E1' }, 'xoxb-org');
    await install({ teamId: 'T0OWN', enterpriseId: 'E1' }, 'xoxb-own');
    for (const team of ['T0ORG', 'T0OWN']) {
      await installations.linkWorkspace(team, 'E1');
      context(team);
    }
    await uninstallWorkspace(deps, { teamId: undefined, enterpriseId: 'E1', isEnterpriseInstall: true });
    expect(forgotten).toEqual(['T0ORG']);
    expect((await installations.findForTeam('T0OWN'))?.botToken).toBe('xoxb-own');
    expect(await installations.findForTeam('T0ORG')).toBeUndefined();
    expect(database.sqlite.prepare('select team_id from channel_contexts').all()).toEqual([
      { team_id: 'T0OWN' },
    ]);
    database.close();
  });

  it('a workspace stays linked to the first organisation it was seen under', async () => {
    const { database, installations, install } = setUp();
    await install({ enterpriseId: 'E1' }, 'xoxb-e1');
    await install({ enterpriseId: 'E2' }, 'xoxb-e2');
    await installations.linkWorkspace('T0W', 'E1');
    await installations.linkWorkspace('T0W', 'E2');
    expect((await installations.findForTeam('T0W'))?.botToken).toBe('xoxb-e1');
    expect(await installations.workspacesOf('E2')).toEqual([]);
    database.close();
  });

  it('a late redelivery of an uninstall leaves a reinstall alone; an uninstall on time deletes', async () => {
    const { database, installations, install, context, deps } = setUp();
    await install({ teamId: 'T0RE' }, 'xoxb-new');
    context('T0RE');
    const anHourAgo = Date.now() - 3_600_000;
    await uninstallWorkspace(deps, {
      teamId: 'T0RE',
      enterpriseId: undefined,
      isEnterpriseInstall: false,
      eventTime: anHourAgo,
    });
    expect((await installations.findForTeam('T0RE'))?.botToken).toBe('xoxb-new');
    expect(database.sqlite.prepare('select team_id from channel_contexts').all()).toHaveLength(1);
    await uninstallWorkspace(deps, {
      teamId: 'T0RE',
      enterpriseId: undefined,
      isEnterpriseInstall: false,
      eventTime: Math.floor(Date.now() / 1000) * 1000,
    });
    expect(await installations.findForTeam('T0RE')).toBeUndefined();
    expect(database.sqlite.prepare('select team_id from channel_contexts').all()).toHaveLength(0);
    database.close();
  });
});
