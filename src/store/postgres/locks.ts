import { sql } from 'drizzle-orm';
import type { PgDb } from './db.js';

export type PgTx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

/**
 * Holds a lock on `key` until the transaction ends. For read-merge-write on rows that may not exist
 * yet (a per-thread cap, a merged dictionary): `SELECT … FOR UPDATE` locks nothing when there is no
 * row, so two instances would both read "none" and the second write would drop the first's merge.
 */
export async function lockForTransaction(tx: PgTx, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}
