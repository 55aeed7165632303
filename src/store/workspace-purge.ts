import type Database from 'better-sqlite3';
import { getTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { WorkspaceDataPurge } from '../core/installations/installation-store.js';
import * as schema from './schema.js';

/** Every table of the schema with a `team_id` column: all of them hold one workspace's data. */
export function teamScopedTables(): string[] {
  return Object.values(schema)
    .filter(isTable)
    .map((table) => getTableConfig(table))
    .filter((config) => config.columns.some((column) => column.name === 'team_id'))
    .map((config) => config.name)
    .sort();
}

function isTable(value: unknown): value is SQLiteTable {
  try {
    return typeof value === 'object' && value !== null && getTableConfig(value as SQLiteTable).name !== '';
  } catch {
    return false;
  }
}

/**
 * An uninstall deletes the workspace's data: every row with its team_id in every table (read from the
 * schema, so a table added later is purged without anyone remembering to list it), in one
 * transaction. Foreign keys are checked at commit, so the order of the deletes does not matter.
 * Queued jobs go with the rest: nothing of the workspace runs afterwards.
 */
export class SqliteWorkspacePurge implements WorkspaceDataPurge {
  private readonly tables = teamScopedTables();

  constructor(private readonly sqlite: Database.Database) {}

  async purgeTeam(teamId: string): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    this.sqlite.transaction(() => {
      this.sqlite.pragma('defer_foreign_keys = ON');
      for (const table of this.tables) {
        const { changes } = this.sqlite.prepare(`DELETE FROM "${table}" WHERE team_id = ?`).run(teamId);
        if (changes > 0) deleted[table] = changes;
      }
    })();
    return deleted;
  }
}
