import { sql } from 'drizzle-orm';
import type { PgDb } from '../../src/store/postgres/db.js';

/**
 * Opens the pool's connections before a burst of concurrent calls. node-postgres connects lazily, and
 * a new connection's handshake takes longer than a short transaction: without this, the calls of a
 * burst reach the server one after the other and a missing lock goes unnoticed.
 */
export async function openConnections(db: PgDb, count = 4): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => db.execute(sql`select pg_sleep(0.05)`)));
}
