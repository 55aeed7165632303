import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema>;

export interface OpenDatabase {
  db: Db;
  sqlite: Database.Database;
  close(): void;
}

/** `migrations/` sits two levels above this file both in `src/store/` and in the built `dist/store/`. */
const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** How long a statement waits for another connection's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;
/**
 * While migrating: a second instance starting beside one that runs a long migration (a table rebuilt
 * over many rows) waits for it rather than failing its start.
 */
export const MIGRATION_BUSY_TIMEOUT_MS = 60_000;

/**
 * Opens (creating the file and its folder on first start) and migrates the SQLite database.
 * WAL lets readers run beside the single writer. `synchronous = FULL`: every commit reaches the disk
 * before it returns, so a command or event we acknowledge after its commit survives a power loss
 * (NORMAL in WAL mode may lose the last commits). Group commit keeps this cheap under a burst
 * (src/store/group-commit.ts). Foreign keys (off by default in SQLite) go on only after the
 * migrations: see `migrate`.
 */
export function openDatabase(path: string, options: { migrationsFolder?: string } = {}): OpenDatabase {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  // First: a second instance opening the same new file waits for the first instead of failing.
  sqlite.pragma(`busy_timeout = ${MIGRATION_BUSY_TIMEOUT_MS}`);
  retryWhileBusy(() => sqlite.pragma('journal_mode = WAL'));
  sqlite.pragma('synchronous = FULL');
  retryWhileBusy(() => migrate(sqlite, options.migrationsFolder ?? MIGRATIONS_FOLDER));
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const db = drizzle(sqlite, { schema });
  return { db, sqlite, close: () => sqlite.close() };
}

/**
 * Start-up beside another instance on a new file: SQLite answers SQLITE_BUSY without waiting out the
 * busy timeout when a read lock cannot be had while the other builds the WAL index (it gives up after
 * its own few short retries, which a loaded machine can exhaust). Retried here for the migration's
 * wait; a start-up is the only place this runs, so blocking the thread while waiting is harmless.
 */
function retryWhileBusy<T>(step: () => T): T {
  const deadline = Date.now() + MIGRATION_BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return step();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}

const SYNCHRONOUS = ['off', 'normal', 'full', 'extra'] as const;

/** How durable a commit on this connection is, read back from SQLite itself (logged at start-up). */
export function durability(sqlite: Database.Database): { journalMode: string; synchronous: string } {
  const level = Number(sqlite.pragma('synchronous', { simple: true }));
  return {
    journalMode: String(sqlite.pragma('journal_mode', { simple: true })),
    synchronous: SYNCHRONOUS[level] ?? String(level),
  };
}

/**
 * drizzle's migrator, run under one exclusive write lock. drizzle reads which migrations were applied
 * before it opens its transaction, so two instances starting together both apply the first migration
 * (`table … already exists`). Here the check and the migrations share one `BEGIN IMMEDIATE`: the second
 * instance waits (busy_timeout), then finds them applied. Same `__drizzle_migrations` table and rule as
 * drizzle (apply files newer than the last one recorded), so an older version started beside a newer
 * one applies nothing; migrations only add tables and columns, so it keeps working during a rolling upgrade.
 *
 * Foreign keys are off while migrating: a drizzle-kit table rebuild (create the new table, copy, drop
 * the old, rename) starts with `PRAGMA foreign_keys=OFF`, which SQLite ignores inside a transaction,
 * and dropping a parent table with them on would delete (ON DELETE CASCADE) every child row. Instead,
 * `PRAGMA foreign_key_check` runs before the commit, so a migration that breaks a reference fails.
 */
export function migrate(sqlite: Database.Database, migrationsFolder: string): void {
  const migrations = readMigrationFiles({ migrationsFolder });
  const foreignKeys = Number(sqlite.pragma('foreign_keys', { simple: true })) === 1;
  if (foreignKeys) sqlite.pragma('foreign_keys = OFF');
  try {
    migrateUnderLock(sqlite, migrations);
  } finally {
    if (foreignKeys) sqlite.pragma('foreign_keys = ON');
  }
}

function migrateUnderLock(
  sqlite: Database.Database,
  migrations: ReturnType<typeof readMigrationFiles>,
): void {
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    sqlite.exec(
      'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)',
    );
    const last = sqlite
      .prepare('SELECT created_at FROM "__drizzle_migrations" ORDER BY created_at DESC LIMIT 1')
      .get() as { created_at: number | string } | undefined;
    const record = sqlite.prepare('INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)');
    let applied = 0;
    for (const migration of migrations) {
      if (last && Number(last.created_at) >= migration.folderMillis) continue;
      for (const statement of migration.sql) if (statement.trim() !== '') sqlite.exec(statement);
      record.run(migration.hash, migration.folderMillis);
      applied += 1;
    }
    // A whole-database scan: only when something changed.
    const broken = applied > 0 ? sqlite.prepare('PRAGMA foreign_key_check').all() : [];
    if (broken.length > 0) throw new Error(`a migration broke ${broken.length} foreign key references`);
    sqlite.exec('COMMIT');
  } catch (error) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw error;
  }
}
