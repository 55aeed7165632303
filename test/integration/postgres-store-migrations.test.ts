import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgres, type PgDb } from '../../src/store/postgres/db.js';
import { openPgliteStore } from '../support/pglite-store.js';

/**
 * The PostgreSQL store's migrations on PGlite (always) and on a real server (.ci/run's
 * TEST_DATABASE_URL, in a throwaway database): every table of the schema is created, bigint times
 * read as numbers, and three instances starting together migrate once.
 */

const ADMIN_URL = process.env.TEST_DATABASE_URL;

async function tableNames(db: PgDb): Promise<string[]> {
  const rows = await db.execute<{ name: string }>(
    sql`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
  );
  return rows.rows.map((row) => row.name);
}

describe('PostgreSQL store migrations on PGlite', () => {
  it('creates every table; bigint times read as numbers', async () => {
    const store = await openPgliteStore();
    try {
      expect(await tableNames(store.db)).toEqual(expect.arrayContaining(['tasks', 'jobs', 'check_runs']));
      const inserted = await store.db.execute<{ created_at: number }>(
        sql`insert into tasks (team_id, channel_id, requester_id, source, text, title)
            values ('T1', 'C1', 'U1', 'command', 'x', 'x') returning created_at`,
      );
      expect(typeof inserted.rows[0]?.created_at).toBe('number');
      expect(Math.abs((inserted.rows[0]?.created_at ?? 0) - Date.now())).toBeLessThan(60_000);
    } finally {
      await store.close();
    }
  });
});

describe.runIf(ADMIN_URL)('PostgreSQL store migrations on a real server', () => {
  it('three instances starting together migrate once', async () => {
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const name = `deb_store_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(ADMIN_URL as string);
    url.pathname = `/${name}`;
    try {
      const instances = await Promise.all([1, 2, 3].map(() => openPostgres(url.toString(), { poolSize: 2 })));
      const [first] = instances;
      if (!first) throw new Error('no instance');
      const applied = await first.db.execute<{ n: number }>(
        sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
      );
      expect(applied.rows[0]?.n).toBeGreaterThanOrEqual(1);
      const journal = (
        await import('../../migrations/postgres/meta/_journal.json', { with: { type: 'json' } })
      ).default as { entries: unknown[] };
      expect(applied.rows[0]?.n).toBe(journal.entries.length);
      expect(await tableNames(first.db)).toEqual(expect.arrayContaining(['tasks', 'jobs', 'check_runs']));
      await Promise.all(instances.map((instance) => instance.close()));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
