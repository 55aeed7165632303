import { eq, ne, sql } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import {
  type InstallationKey,
  type InstallationStore,
  installationKeyOf,
  type WorkspaceDataPurge,
  type WorkspaceInstallation,
} from '../../core/installations/installation-store.js';
import type { TokenCipher } from '../../security/token-cipher.js';
import { keyOf } from '../installation-repo.js';
import type { PgDb } from './db.js';
import * as schema from './schema.js';
import { enterpriseWorkspaces, installations } from './schema.js';

type InstallationRow = typeof installations.$inferSelect;

/** Installs on PostgreSQL, bot tokens sealed as on SQLite (see ../installation-repo.ts). */
export class PostgresInstallationStore implements InstallationStore {
  constructor(
    private readonly db: PgDb,
    private readonly cipher: TokenCipher,
  ) {}

  async save(installation: WorkspaceInstallation): Promise<void> {
    const installationKey = installationKeyOf(keyOf(installation));
    const token = this.cipher.seal(installation.botToken, installationKey);
    const values = {
      enterpriseId: installation.enterpriseId ?? null,
      teamId: installation.isEnterpriseInstall ? null : (installation.teamId ?? null),
      isEnterpriseInstall: installation.isEnterpriseInstall,
      appId: installation.appId ?? null,
      botId: installation.botId,
      botUserId: installation.botUserId,
      botScopes: installation.botScopes.join(','),
      botTokenSealed: token.sealed,
      tokenKeyId: token.keyId,
      installerUserId: installation.installerUserId ?? null,
      url: installation.url ?? null,
    };
    await this.db
      .insert(installations)
      .values({ installationKey, ...values })
      .onConflictDoUpdate({
        target: installations.installationKey,
        set: { ...values, updatedAt: Date.now() },
      });
  }

  async find(key: InstallationKey): Promise<WorkspaceInstallation | undefined> {
    const [row] = await this.db
      .select()
      .from(installations)
      .where(eq(installations.installationKey, installationKeyOf(key)));
    return row && this.fromRow(row);
  }

  async findForTeam(teamId: string): Promise<WorkspaceInstallation | undefined> {
    const own = await this.find({ isEnterpriseInstall: false, teamId });
    if (own) return own;
    const [link] = await this.db
      .select({ enterpriseId: enterpriseWorkspaces.enterpriseId })
      .from(enterpriseWorkspaces)
      .where(eq(enterpriseWorkspaces.teamId, teamId));
    return link && this.find({ isEnterpriseInstall: true, enterpriseId: link.enterpriseId });
  }

  /** The first organisation a workspace was seen under keeps it (as on SQLite). */
  async linkWorkspace(teamId: string, enterpriseId: string): Promise<void> {
    await this.db.insert(enterpriseWorkspaces).values({ teamId, enterpriseId }).onConflictDoNothing();
  }

  async workspacesOf(enterpriseId: string): Promise<string[]> {
    const rows = await this.db
      .select({ teamId: enterpriseWorkspaces.teamId })
      .from(enterpriseWorkspaces)
      .where(eq(enterpriseWorkspaces.enterpriseId, enterpriseId))
      .orderBy(sql`${enterpriseWorkspaces.teamId} collate "C"`);
    return rows.map((row) => row.teamId);
  }

  async installedTeams(): Promise<string[]> {
    const result = await this.db.execute<{ team_id: string }>(sql`
      select team_id from installations where team_id is not null
      union select w.team_id from enterprise_workspaces w
        join installations i on i.installation_key = 'E:' || w.enterprise_id
      order by 1`);
    return result.rows.map((row) => row.team_id);
  }

  async delete(key: InstallationKey): Promise<void> {
    await this.db.delete(installations).where(eq(installations.installationKey, installationKeyOf(key)));
  }

  /** Rewrites every token sealed under an older key with the current one; returns how many. */
  resealUnderCurrentKey(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(installations)
        .where(ne(installations.tokenKeyId, this.cipher.currentKeyId))
        .for('update');
      for (const row of rows) {
        const token = this.cipher.seal(this.open(row), row.installationKey);
        await tx
          .update(installations)
          .set({ botTokenSealed: token.sealed, tokenKeyId: token.keyId })
          .where(eq(installations.installationKey, row.installationKey));
      }
      return rows.length;
    });
  }

  private open(row: InstallationRow): string {
    return this.cipher.open({ keyId: row.tokenKeyId, sealed: row.botTokenSealed }, row.installationKey);
  }

  private fromRow(row: InstallationRow): WorkspaceInstallation {
    return {
      enterpriseId: row.enterpriseId ?? undefined,
      teamId: row.teamId ?? undefined,
      isEnterpriseInstall: row.isEnterpriseInstall,
      appId: row.appId ?? undefined,
      botToken: this.open(row),
      botId: row.botId,
      botUserId: row.botUserId,
      botScopes: row.botScopes ? row.botScopes.split(',') : [],
      installerUserId: row.installerUserId ?? undefined,
      url: row.url ?? undefined,
      updatedAt: row.updatedAt,
    };
  }
}

/** Every table of the PostgreSQL schema with a `team_id` column (read from the schema, as on SQLite). */
function teamScopedTables(): string[] {
  const names: string[] = [];
  for (const value of Object.values(schema)) {
    const config = tableConfig(value);
    if (config?.columns.some((column) => column.name === 'team_id')) names.push(config.name);
  }
  return names.sort();
}

function tableConfig(value: unknown) {
  try {
    return getTableConfig(value as PgTable);
  } catch {
    return undefined;
  }
}

/**
 * An uninstall on PostgreSQL: every row with the workspace's team_id, in one transaction (every foreign
 * key cascades or sets null, so the order does not matter), and the workspace's waiting answer jobs in
 * graphile-worker's queue (whose rows carry the team only in their payload), so nothing of it runs
 * afterwards. Not yet wired: the app still runs on SQLite.
 */
export class PostgresWorkspacePurge implements WorkspaceDataPurge {
  private readonly tables = teamScopedTables();

  constructor(private readonly db: PgDb) {}

  purgeTeam(teamId: string): Promise<Record<string, number>> {
    return this.db.transaction(async (tx) => {
      const deleted: Record<string, number> = {};
      const jobs = await tx.execute(
        sql`delete from graphile_worker._private_jobs where payload->>'teamId' = ${teamId} and locked_at is null`,
      );
      if ((jobs.rowCount ?? 0) > 0) deleted.answer_jobs = jobs.rowCount ?? 0;
      for (const table of this.tables) {
        const result = await tx.execute(sql`delete from ${sql.identifier(table)} where team_id = ${teamId}`);
        if ((result.rowCount ?? 0) > 0) deleted[table] = result.rowCount ?? 0;
      }
      return deleted;
    });
  }
}
