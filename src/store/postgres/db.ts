import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { migrateAnswerQueue } from './answer-queue.js';
import * as schema from './schema.js';

/**
 * The store on PostgreSQL: node-postgres in production; PGlite in tests behind the same type (both
 * drivers answer `execute` with `{ rows }`, and the query builder is the same).
 */
export type PgDb = NodePgDatabase<typeof schema>;

export interface OpenPostgres {
  db: PgDb;
  /** The connections behind `db` (the answer queue shares them); absent on PGlite. */
  pool?: pg.Pool;
  close(): Promise<void>;
}

/** `migrations/postgres/` sits three levels above this file both in `src/store/postgres/` and in `dist/`. */
export const PG_MIGRATIONS_FOLDER = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../migrations/postgres',
);

/**
 * One key for every instance of the bot on this database: the instance that holds it migrates, the
 * others wait. drizzle's migrator reads which migrations were applied before it opens its transaction,
 * so two instances starting together would both apply the first one (`relation … already exists`).
 */
const MIGRATION_LOCK_KEY = 7_404_551_201;

export interface PostgresOptions {
  /** Connections this process may hold (the server's max_connections is shared by every instance). */
  poolSize?: number;
  migrationsFolder?: string;
}

/**
 * Connects to DATABASE_URL and migrates it before anything else uses it (under the migration lock, so
 * a rolling deploy of several instances migrates once). Times are Unix milliseconds in bigint columns,
 * which the schema reads as numbers; raw SQL gets int8 (`count(*)`, bigint) as strings from
 * node-postgres (drizzle sets its own type parsers per query), so repositories cast (`::int`) or
 * convert. pg's global parser is left alone: the data-source adapters read teams' int8 values through it.
 */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<OpenPostgres> {
  const pool = new pg.Pool({
    connectionString: url,
    // Two at least: start-up migrates the queue on one while another holds the migration lock.
    max: Math.max(2, options.poolSize ?? 10),
    // A connection the server or a proxy dropped is replaced, not handed out.
    idleTimeoutMillis: 30_000,
    application_name: 'data-engineer-bot',
  });
  // A connection's error (server restart, failover, an administrator ending it) would otherwise crash
  // the process: idle ones are dropped by the pool, and a query on a broken one fails by itself.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    await migrateUnderLock(pool, options.migrationsFolder ?? PG_MIGRATIONS_FOLDER);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const db = drizzleNodePostgres(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

async function migrateUnderLock(pool: pg.Pool, migrationsFolder: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrateNodePostgres(drizzleNodePostgres(client, { schema }), { migrationsFolder });
      // graphile-worker's own schema (the answer queue), on another of the pool's connections.
      await migrateAnswerQueue(pool);
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** Whether the server answers (readiness). */
export async function pingPostgres(db: PgDb): Promise<void> {
  await db.execute(sql`select 1`);
}
