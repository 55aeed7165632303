import { describe, expect, it } from 'vitest';
import { ReadOnlyRefusal } from '../../src/core/data-sources/data-source.js';
import { guardPostgresStatement } from '../../src/datasources/postgres-guard.js';
import { HOSTILE_STATEMENTS } from '../support/hostile-statements.js';

/** The PostgreSQL guard alone: what a data engineer reads passes, every hostile statement does not. */
describe('the PostgreSQL read-only guard (libpg-query)', () => {
  it.each([
    'SELECT 1',
    'select * from orders where id = 3;',
    "SELECT date_trunc('day', ordered_at) AS day, sum(amount) FROM orders GROUP BY 1 ORDER BY 1",
    "WITH recent AS (SELECT * FROM orders WHERE ordered_at > now() - interval '7 days') SELECT count(*) FROM recent",
    'SELECT o.*, row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at) FROM orders o',
    'SELECT * FROM customers c JOIN LATERAL (SELECT * FROM orders o WHERE o.customer_id = c.id LIMIT 1) x ON true',
    'SELECT 1 UNION ALL SELECT 2',
    'VALUES (1, 2), (3, 4)',
    'TABLE orders',
    "SELECT pg_size_pretty(pg_total_relation_size('orders')), current_setting('TimeZone')",
    'SELECT count(*) FROM generate_series(1, 10) g',
    "SELECT 'DELETE FROM orders; pg_sleep(600)' AS text_only",
    '/* why: the daily revenue */ SELECT 1 -- trailing comment',
    'EXPLAIN SELECT * FROM orders',
    'EXPLAIN (FORMAT JSON, COSTS true) SELECT * FROM orders',
    'EXPLAIN (ANALYZE false) SELECT 1',
  ])('admits %s', async (sql) => {
    const guarded = await guardPostgresStatement(sql, { allowAnalyze: false });
    expect(guarded.analyze).toBe(false);
    expect(guarded.text).not.toMatch(/;\s*$/);
  });

  it('returns the statement without its trailing semicolon and comment, ready to wrap', async () => {
    expect((await guardPostgresStatement('SELECT 1 AS a;  -- note\n', { allowAnalyze: false })).text).toBe(
      'SELECT 1 AS a',
    );
    expect((await guardPostgresStatement("SELECT 'é' AS x;", { allowAnalyze: false })).text).toBe(
      "SELECT 'é' AS x",
    );
  });

  it('admits EXPLAIN ANALYZE of a SELECT only where the source allows it', async () => {
    const sql = 'EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM orders';
    await expect(guardPostgresStatement(sql, { allowAnalyze: false })).rejects.toBeInstanceOf(
      ReadOnlyRefusal,
    );
    expect((await guardPostgresStatement(sql, { allowAnalyze: true })).analyze).toBe(true);
    await expect(
      guardPostgresStatement('EXPLAIN ANALYZE DELETE FROM orders', { allowAnalyze: true }),
    ).rejects.toThrow(/EXPLAIN is allowed only of a SELECT/);
  });

  it.each(HOSTILE_STATEMENTS.filter((h) => h.expect === 'refused').map((h) => [h.name, h.sql] as const))(
    'refuses %s with a short reason',
    async (_name, sql) => {
      const error = await guardPostgresStatement(sql, { allowAnalyze: false }).then(
        () => undefined,
        (e: unknown) => e as ReadOnlyRefusal,
      );
      expect(error).toBeInstanceOf(ReadOnlyRefusal);
      expect(error?.reason.length).toBeLessThan(160);
    },
  );
});
