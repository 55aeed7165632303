import { defineConfig } from 'drizzle-kit';

/** The PostgreSQL store's migrations (DATABASE_URL); the SQLite ones are drizzle.config.ts's. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/postgres/schema.ts',
  out: './migrations/postgres',
});
