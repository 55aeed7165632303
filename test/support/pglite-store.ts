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
  return { db: db as unknown as PgDb, close: () => client.close() };
}
