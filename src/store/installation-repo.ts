import type Database from 'better-sqlite3';
import {
  type InstallationKey,
  type InstallationStore,
  installationKeyOf,
  type WorkspaceInstallation,
} from '../core/installations/installation-store.js';
import type { TokenCipher } from '../security/token-cipher.js';

interface InstallationRow {
  installation_key: string;
  enterprise_id: string | null;
  team_id: string | null;
  is_enterprise_install: number;
  app_id: string | null;
  bot_id: string;
  bot_user_id: string;
  bot_scopes: string;
  bot_token_sealed: string;
  token_key_id: string;
  installer_user_id: string | null;
  url: string | null;
  updated_at: number;
}

/**
 * Installs in SQLite, bot tokens sealed with AES-256-GCM (src/security/token-cipher.ts). The
 * installation key is bound into each sealed token, so a token copied into another row does not open.
 */
export class SqliteInstallationStore implements InstallationStore {
  constructor(
    private readonly sqlite: Database.Database,
    private readonly cipher: TokenCipher,
  ) {}

  async save(installation: WorkspaceInstallation): Promise<void> {
    const key = installationKeyOf(keyOf(installation));
    const token = this.cipher.seal(installation.botToken, key);
    this.sqlite
      .prepare(
        `INSERT INTO installations (installation_key, enterprise_id, team_id, is_enterprise_install, app_id,
           bot_id, bot_user_id, bot_scopes, bot_token_sealed, token_key_id, installer_user_id, url)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (installation_key) DO UPDATE SET
           enterprise_id = excluded.enterprise_id, team_id = excluded.team_id, app_id = excluded.app_id,
           bot_id = excluded.bot_id, bot_user_id = excluded.bot_user_id, bot_scopes = excluded.bot_scopes,
           bot_token_sealed = excluded.bot_token_sealed, token_key_id = excluded.token_key_id,
           installer_user_id = excluded.installer_user_id, url = excluded.url,
           updated_at = cast(unixepoch('subsec') * 1000 as integer)`,
      )
      .run(
        key,
        installation.enterpriseId ?? null,
        installation.isEnterpriseInstall ? null : (installation.teamId ?? null),
        installation.isEnterpriseInstall ? 1 : 0,
        installation.appId ?? null,
        installation.botId,
        installation.botUserId,
        installation.botScopes.join(','),
        token.sealed,
        token.keyId,
        installation.installerUserId ?? null,
        installation.url ?? null,
      );
  }

  async find(key: InstallationKey): Promise<WorkspaceInstallation | undefined> {
    const row = this.sqlite
      .prepare('SELECT * FROM installations WHERE installation_key = ?')
      .get(installationKeyOf(key)) as InstallationRow | undefined;
    return row && this.fromRow(row);
  }

  async findForTeam(teamId: string): Promise<WorkspaceInstallation | undefined> {
    const own = await this.find({ isEnterpriseInstall: false, teamId });
    if (own) return own;
    const link = this.sqlite
      .prepare('SELECT enterprise_id FROM enterprise_workspaces WHERE team_id = ?')
      .get(teamId) as { enterprise_id: string } | undefined;
    return link && this.find({ isEnterpriseInstall: true, enterpriseId: link.enterprise_id });
  }

  async linkWorkspace(teamId: string, enterpriseId: string): Promise<void> {
    this.sqlite
      .prepare(
        // The first organisation a workspace was seen under keeps it: an event naming another cannot
        // move the workspace's jobs to that organisation's token, nor its data under that uninstall.
        `INSERT INTO enterprise_workspaces (team_id, enterprise_id) VALUES (?, ?)
         ON CONFLICT (team_id) DO NOTHING`,
      )
      .run(teamId, enterpriseId);
  }

  async workspacesOf(enterpriseId: string): Promise<string[]> {
    const rows = this.sqlite
      .prepare('SELECT team_id FROM enterprise_workspaces WHERE enterprise_id = ? ORDER BY team_id')
      .all(enterpriseId) as { team_id: string }[];
    return rows.map((r) => r.team_id);
  }

  async installedTeams(): Promise<string[]> {
    const rows = this.sqlite
      .prepare(
        `SELECT team_id FROM installations WHERE team_id IS NOT NULL
         UNION SELECT w.team_id FROM enterprise_workspaces w
           JOIN installations i ON i.installation_key = 'E:' || w.enterprise_id
         ORDER BY 1`,
      )
      .all() as { team_id: string }[];
    return rows.map((r) => r.team_id);
  }

  async delete(key: InstallationKey): Promise<void> {
    this.sqlite.prepare('DELETE FROM installations WHERE installation_key = ?').run(installationKeyOf(key));
  }

  /** Rewrites every token sealed under an older key with the current one; returns how many. */
  async resealUnderCurrentKey(): Promise<number> {
    const rows = this.sqlite
      .prepare('SELECT * FROM installations WHERE token_key_id <> ?')
      .all(this.cipher.currentKeyId) as InstallationRow[];
    const update = this.sqlite.prepare(
      'UPDATE installations SET bot_token_sealed = ?, token_key_id = ? WHERE installation_key = ?',
    );
    this.sqlite.transaction(() => {
      for (const row of rows) {
        const token = this.cipher.seal(this.open(row), row.installation_key);
        update.run(token.sealed, token.keyId, row.installation_key);
      }
    })();
    return rows.length;
  }

  private open(row: InstallationRow): string {
    return this.cipher.open({ keyId: row.token_key_id, sealed: row.bot_token_sealed }, row.installation_key);
  }

  private fromRow(row: InstallationRow): WorkspaceInstallation {
    return {
      enterpriseId: row.enterprise_id ?? undefined,
      teamId: row.team_id ?? undefined,
      isEnterpriseInstall: row.is_enterprise_install === 1,
      appId: row.app_id ?? undefined,
      botToken: this.open(row),
      botId: row.bot_id,
      botUserId: row.bot_user_id,
      botScopes: row.bot_scopes ? row.bot_scopes.split(',') : [],
      installerUserId: row.installer_user_id ?? undefined,
      url: row.url ?? undefined,
      updatedAt: row.updated_at,
    };
  }
}

export function keyOf(installation: WorkspaceInstallation): InstallationKey {
  if (installation.isEnterpriseInstall) {
    if (!installation.enterpriseId) throw new Error('an organisation-wide install without an enterprise id');
    return { isEnterpriseInstall: true, enterpriseId: installation.enterpriseId };
  }
  if (!installation.teamId) throw new Error('a workspace install without a team id');
  return { isEnterpriseInstall: false, teamId: installation.teamId };
}
