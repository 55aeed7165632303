import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { type OpenPostgres, PG_MIGRATIONS_FOLDER, type PgDb } from '../../src/store/postgres/db.js';
import * as schema from '../../src/store/postgres/schema.js';

/**
 * The PostgreSQL store on PGlite (PostgreSQL compiled to WASM, in this process): the same schema,
 * migrations and repositories as on a real server, for `npm test` where no server is installed.
 * .ci/run also runs the same tests against a real PostgreSQL (TEST_DATABASE_URL).
 */
export async function openPgliteStore(): Promise<OpenPostgres> {
  const client = new PGlite();
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: PG_MIGRATIONS_FOLDER });
  await installAnswerQueueSchema(client);
  return { db: db as unknown as PgDb, close: () => client.close() };
}

/**
 * graphile-worker's own schema (its queue tables and `add_job`), from the installed package's SQL
 * files as its migrator applies them: repositories that read the answer queue (retention, the purge)
 * run on PGlite too. Running jobs needs a real server (LISTEN/NOTIFY, a pg.Pool).
 */
async function installAnswerQueueSchema(client: PGlite): Promise<void> {
  const packageJson = createRequire(import.meta.url).resolve('graphile-worker/package.json');
  const folder = join(dirname(packageJson), 'sql');
  await client.exec('create schema if not exists graphile_worker');
  for (const file of readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort())
    await client.exec(
      readFileSync(join(folder, file), 'utf8').replaceAll(':GRAPHILE_WORKER_SCHEMA', 'graphile_worker'),
    );
}
