import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgliteServer, startPgliteServer } from '../support/pglite-server.js';
import {
  seedPostgresWarehouse,
  WAREHOUSE_COUNTS,
  warehouseChecksum,
  writeWarehouseFiles,
} from '../support/sample-warehouse.js';

describe('sample warehouse', () => {
  let server: PgliteServer;
  let client: pg.Client;
  beforeAll(async () => {
    server = await startPgliteServer();
    client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await seedPostgresWarehouse(client);
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  it('seeds PGlite over the wire and its checksum notices a change', async () => {
    const counts = await client.query(
      'SELECT (SELECT count(*) FROM orders)::int AS o, (SELECT count(*) FROM customers)::int AS c',
    );
    expect(counts.rows[0]).toEqual({ o: WAREHOUSE_COUNTS.orders, c: WAREHOUSE_COUNTS.customers });
    const before = await warehouseChecksum(client);
    expect(await warehouseChecksum(client)).toBe(before);
    await client.query('BEGIN');
    await client.query("UPDATE customers SET email = 'x@y.z' WHERE id = 1");
    expect(await warehouseChecksum(client)).not.toBe(before);
    await client.query('ROLLBACK');
    expect(await warehouseChecksum(client)).toBe(before);
  });

  it('writes the same rows as CSV and Parquet files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warehouse-'));
    try {
      const { paths } = await writeWarehouseFiles(dir);
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const reader = await connection.runAndReadAll(
        `SELECT (SELECT count(*) FROM '${paths.orders}')::INT AS o, (SELECT count(*) FROM '${paths.customers}')::INT AS c, (SELECT count(*) FROM '${paths.events}')::INT AS e`,
      );
      expect(reader.getRowObjects()[0]).toEqual({
        o: WAREHOUSE_COUNTS.orders,
        c: WAREHOUSE_COUNTS.customers,
        e: WAREHOUSE_COUNTS.events,
      });
      connection.closeSync();
      instance.closeSync();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
