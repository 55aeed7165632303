import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS, migrate, openDatabase } from '../../src/store/db.js';

const require = createRequire(import.meta.url);
const MIGRATIONS = resolve(fileURLToPath(import.meta.url), '../../../migrations');

/** The migrations of an older release: the same folder without its newest `drop` migrations. */
function olderRelease(dir: string, drop: number): string {
  const folder = join(dir, 'older');
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  for (const entry of journal.entries.slice(-drop)) rmSync(join(folder, `${entry.tag}.sql`));
  journal.entries = journal.entries.slice(0, -drop);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

describe('migrations (rolling upgrades)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'deb-migrate-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const applied = (sqlite: Database.Database) =>
    (sqlite.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n;

  it('upgrades an older database, and an older release started beside a newer one changes nothing', () => {
    const path = join(dir, 'bot.db');
    const all = readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).length;
    const older = olderRelease(dir, 2);
    const sqlite = new Database(path);
    migrate(sqlite, older);
    expect(applied(sqlite)).toBe(all - 2);
    migrate(sqlite, MIGRATIONS); // the new release arrives
    expect(applied(sqlite)).toBe(all);
    migrate(sqlite, older); // an old instance still starting during the rollout
    migrate(sqlite, MIGRATIONS); // and a second new one
    expect(applied(sqlite)).toBe(all);
    sqlite.close();
  });

  it('commits on a connection with synchronous = FULL in WAL mode', () => {
    const database = openDatabase(join(dir, 'bot.db'));
    expect(database.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(database.sqlite.pragma('synchronous', { simple: true })).toBe(2); // FULL
    database.close();
  });

  /** A migrations folder in drizzle-kit's layout: `meta/_journal.json` and one file per migration. */
  function migrationsFolder(name: string, files: string[][]): string {
    const folder = join(dir, name);
    mkdirSync(join(folder, 'meta'), { recursive: true });
    const entries = files.map((statements, idx) => {
      const tag = `000${idx}_step`;
      writeFileSync(join(folder, `${tag}.sql`), statements.join('\n--> statement-breakpoint\n'));
      return { idx, version: '6', when: 1_800_000_000_000 + idx, tag, breakpoints: true };
    });
    writeFileSync(
      join(folder, 'meta', '_journal.json'),
      JSON.stringify({ version: '7', dialect: 'sqlite', entries }),
    );
    return folder;
  }

  it('runs a drizzle-kit table rebuild with foreign keys off, so child rows survive, and turns them on after', () => {
    const create = [
      'CREATE TABLE `parents` (`id` integer PRIMARY KEY NOT NULL, `name` text NOT NULL);',
      'CREATE TABLE `children` (`id` integer PRIMARY KEY NOT NULL, `parent_id` integer NOT NULL REFERENCES `parents`(`id`) ON DELETE cascade);',
    ];
    // What drizzle-kit generates to change a column of `parents` in SQLite.
    const rebuild = [
      'PRAGMA foreign_keys=OFF;',
      "CREATE TABLE `__new_parents` (`id` integer PRIMARY KEY NOT NULL, `name` text DEFAULT '' NOT NULL);",
      'INSERT INTO `__new_parents`("id", "name") SELECT "id", "name" FROM `parents`;',
      'DROP TABLE `parents`;',
      'ALTER TABLE `__new_parents` RENAME TO `parents`;',
      'PRAGMA foreign_keys=ON;',
    ];
    const path = join(dir, 'bot.db');
    const before = openDatabase(path, { migrationsFolder: migrationsFolder('v1', [create]) });
    before.sqlite.exec("INSERT INTO parents VALUES (1, 'orders'); INSERT INTO children VALUES (10, 1);");
    before.close();

    const after = openDatabase(path, { migrationsFolder: migrationsFolder('v2', [create, rebuild]) });
    expect(after.sqlite.prepare('select id, parent_id from children').all()).toEqual([
      { id: 10, parent_id: 1 },
    ]);
    expect(after.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() => after.sqlite.exec('INSERT INTO children VALUES (11, 99)')).toThrow(/FOREIGN KEY/);
    expect(after.sqlite.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    after.close();
  });

  it('a second instance starting while another migrates waits longer than the usual busy timeout', async () => {
    const path = join(dir, 'bot.db');
    openDatabase(path).close();
    // Another process holds the write lock (a long migration) a little longer than BUSY_TIMEOUT_MS.
    const holdMs = BUSY_TIMEOUT_MS + 1_000;
    const holder = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const Database = require(workerData.module);
       const db = new Database(workerData.path);
       db.exec('BEGIN IMMEDIATE');
       parentPort.postMessage('locked');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
       db.exec('COMMIT');
       db.close();`,
      { eval: true, workerData: { path, holdMs, module: require.resolve('better-sqlite3') } },
    );
    try {
      await new Promise((resolve) => holder.once('message', resolve));
      const second = openDatabase(path); // SQLITE_BUSY after 5 s without the longer wait
      expect(second.sqlite.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
      second.close();
    } finally {
      await holder.terminate();
    }
  }, 20_000);
});
