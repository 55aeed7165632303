import { sql } from 'drizzle-orm';
import pg from 'pg';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { type OpenPostgres, openPostgres } from '../../src/store/postgres/db.js';
import { openPgliteStore } from './pglite-store.js';

/**
 * The stores' engines a repository test runs on: SQLite (the default store), PostgreSQL on PGlite
 * (always) and on a real server when .ci/run provides TEST_DATABASE_URL (a throwaway database per
 * opening, dropped on close). `describe.each(STORE_ENGINES)` runs one body against each.
 */
export type StoreEngine =
  | { dialect: 'sqlite'; database: OpenDatabase; close(): Promise<void> }
  | { dialect: 'postgres'; database: OpenPostgres; close(): Promise<void> };

type Opener = () => Promise<StoreEngine>;

const sqlite: Opener = async () => {
  const database = openDatabase(':memory:');
  return { dialect: 'sqlite', database, close: async () => database.close() };
};

const pglite: Opener = async () => {
  const database = await openPgliteStore();
  return { dialect: 'postgres', database, close: () => database.close() };
};

/** A fresh database on TEST_DATABASE_URL's server (a superuser URL), dropped (connections and all) by `drop`. */
export async function throwawayDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set (.ci/run starts a PostgreSQL server)');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const name = `${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const realPostgres: Opener = async () => {
  const throwaway = await throwawayDatabase('deb_store');
  const database = await openPostgres(throwaway.url, { poolSize: 4 });
  return {
    dialect: 'postgres',
    database,
    close: async () => {
      await database.close();
      await throwaway.drop();
    },
  };
};

export const STORE_ENGINES: [string, Opener][] = [
  ['SQLite', sqlite],
  ['PostgreSQL (PGlite)', pglite],
  ...(process.env.TEST_DATABASE_URL ? [['PostgreSQL (server)', realPostgres] as [string, Opener]] : []),
];

/**
 * Empties every table and restarts ids at 1, so one opened engine serves a whole describe block
 * (opening PGlite and migrating takes seconds).
 */
export async function resetStore(engine: StoreEngine): Promise<void> {
  if (engine.dialect === 'sqlite') {
    const { sqlite } = engine.database;
    const names = sqlite
      .prepare(
        `select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'`,
      )
      .pluck()
      .all() as string[];
    sqlite.pragma('foreign_keys = OFF');
    for (const name of names) sqlite.exec(`delete from "${name}"`);
    sqlite.exec(`delete from sqlite_sequence`);
    sqlite.pragma('foreign_keys = ON');
    return;
  }
  const { db } = engine.database;
  const tables = await db.execute<{ name: string }>(
    sql`select tablename as name from pg_tables where schemaname = 'public'`,
  );
  const list = tables.rows.map((row) => `"${row.name}"`).join(', ');
  await db.execute(sql.raw(`truncate ${list} restart identity cascade`));
  // The answer queue's jobs (graphile-worker's schema, on every PostgreSQL engine here).
  await db.execute(sql`truncate graphile_worker._private_jobs, graphile_worker._private_job_queues`);
}

/** Runs a statement written in the SQL both stores speak (seeding a test's rows). */
export async function execSql(engine: StoreEngine, statement: string): Promise<void> {
  if (engine.dialect === 'sqlite') engine.database.sqlite.exec(statement);
  else await engine.database.db.execute(sql.raw(statement));
}
