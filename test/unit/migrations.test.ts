import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/store/db.js';

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
});
