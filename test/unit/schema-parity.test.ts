import { getTableName, is } from 'drizzle-orm';
import { PgTable, getTableConfig as pgConfig } from 'drizzle-orm/pg-core';
import { SQLiteTable, getTableConfig as sqliteConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../src/store/postgres/schema.js';
import * as sqliteSchema from '../../src/store/schema.js';

/**
 * The PostgreSQL store must hold the same tables as the SQLite one, column for column: a table or
 * column added to one schema and not the other fails here (and would otherwise fail only on the
 * deployment that uses the other store).
 */

interface Shape {
  columns: Record<string, { notNull: boolean; hasDefault: boolean; primary: boolean }>;
  indexes: Record<string, { unique: boolean; columns: string[] }>;
  primaryKeys: string[][];
  foreignKeys: string[];
}

type AnyConfig = ReturnType<typeof pgConfig> | ReturnType<typeof sqliteConfig>;

function shapeOf(config: AnyConfig): Shape {
  const columns: Shape['columns'] = {};
  for (const column of config.columns) {
    columns[column.name] = {
      notNull: column.notNull,
      hasDefault: column.hasDefault,
      primary: column.primary,
    };
  }
  const indexes: Shape['indexes'] = {};
  for (const index of config.indexes) {
    const name = index.config.name ?? '(unnamed)';
    indexes[name] = {
      unique: Boolean(index.config.unique),
      columns: index.config.columns.map((c) => ('name' in c ? String(c.name) : '(expression)')),
    };
  }
  return {
    columns,
    indexes,
    primaryKeys: config.primaryKeys.map((key) => key.columns.map((c) => c.name)),
    foreignKeys: config.foreignKeys
      .map((key) => {
        const reference = key.reference();
        const from = reference.columns.map((c) => c.name).join(',');
        const to = reference.foreignColumns.map((c) => c.name).join(',');
        return `${from} -> ${getTableName(reference.foreignTable)}(${to}) on delete ${key.onDelete ?? 'no action'}`;
      })
      .sort(),
  };
}

function pgTablesOf(schema: Record<string, unknown>): Map<string, PgTable> {
  const found = new Map<string, PgTable>();
  for (const value of Object.values(schema)) if (is(value, PgTable)) found.set(getTableName(value), value);
  return found;
}

function sqliteTablesOf(schema: Record<string, unknown>): Map<string, SQLiteTable> {
  const found = new Map<string, SQLiteTable>();
  for (const value of Object.values(schema))
    if (is(value, SQLiteTable)) found.set(getTableName(value), value);
  return found;
}

/** The answer queue's books next to graphile-worker (SQLite's own queue keeps these facts in `jobs`). */
const POSTGRES_ONLY = ['answer_queue_workers', 'answer_stops'];

describe('PostgreSQL and SQLite schemas', () => {
  const sqliteTables = sqliteTablesOf(sqliteSchema);
  const pgTables = pgTablesOf(pgSchema);
  for (const name of POSTGRES_ONLY) pgTables.delete(name);

  it('have the same tables', () => {
    expect([...pgTables.keys()].sort()).toEqual([...sqliteTables.keys()].sort());
    expect(sqliteTables.size).toBeGreaterThan(20);
  });

  for (const name of [...sqliteTables.keys()].sort()) {
    it(`${name}: same columns, keys and indexes`, () => {
      const sqliteTable = sqliteTables.get(name);
      const pgTable = pgTables.get(name);
      expect(pgTable, `${name} is missing from src/store/postgres/schema.ts`).toBeDefined();
      if (!sqliteTable || !pgTable) return;
      expect(shapeOf(pgConfig(pgTable))).toEqual(shapeOf(sqliteConfig(sqliteTable)));
    });
  }

  it('every table but the process registry carries team_id', () => {
    for (const [name, table] of pgTables) {
      if (name === 'workers') continue;
      expect(
        pgConfig(table).columns.map((c) => c.name),
        name,
      ).toContain('team_id');
    }
  });
});
