import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DataSource,
  DataSourceError,
  DEFAULT_DATA_SOURCE_LIMITS,
  ReadOnlyRefusal,
} from '../../src/core/data-sources/data-source.js';
import { formatRows } from '../../src/core/data-sources/format-results.js';
import { maskRows } from '../../src/core/data-sources/pii-mask.js';
import { createDataSource } from '../../src/datasources/catalog.js';
import { DuckDbChild } from '../../src/datasources/duckdb-child-process.js';
import { DuckDbEngine } from '../../src/datasources/duckdb-engine.js';
import { DuckDbDataSource } from '../../src/datasources/duckdb-source.js';
import { HOSTILE_DUCKDB_STATEMENTS } from '../support/hostile-statements.js';
import { WAREHOUSE_COUNTS, warehouseRows, writeWarehouseFiles } from '../support/sample-warehouse.js';
import { until } from '../support/wait.js';

/**
 * The DuckDB adapter over the sample warehouse's CSV and Parquet files, in its child process: views per
 * configured path, catalog tools, the json_serialize_sql guard and DuckDB's own lock-down on every hostile
 * statement, the interrupt on timeout, quoting of names the model gives, paths kept out of every message,
 * and the files unchanged afterwards.
 */

async function filesChecksum(dir: string): Promise<string> {
  const hash = createHash('md5');
  const walk = async (d: string): Promise<void> => {
    for (const entry of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else hash.update(`${path}:${(await stat(path)).size}:`).update(await readFile(path));
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

describe('DuckDB data source (CSV and Parquet files)', () => {
  let dir: string;
  let source: DataSource;
  let checksum: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lake-'));
    const { paths } = await writeWarehouseFiles(dir);
    checksum = await filesChecksum(dir);
    source = createDataSource({
      name: 'lake',
      kind: 'duckdb',
      paths: { ...paths, missing: join(dir, 'nothing-here', '*.parquet') },
      allowAnalyze: false,
      statementTimeoutMs: 1_000,
      maxRows: 50,
      memoryLimitMb: 256,
    });
  }, 60_000);

  afterAll(async () => {
    await source?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists one view per configured path (a path matching no file is left out)', async () => {
    const list = await source.listTables();
    expect(list.tables.map((t) => `${t.schema}.${t.table}:${t.kind}`)).toEqual([
      'main.customers:external',
      'main.orders:external',
      'main.events:external',
    ]);
    expect(list.tables.find((t) => t.table === 'orders')?.rowEstimate).toBe(WAREHOUSE_COUNTS.orders);
    await expect(source.describeTable({ schema: '', table: 'missing' })).rejects.toThrow(/no file matches/);
  });

  it('describes, samples, profiles and explains a view', async () => {
    const orders = await source.describeTable({ schema: 'main', table: 'orders' });
    expect(orders.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'id BIGINT',
      'customer_id BIGINT',
      'order_number VARCHAR',
      'amount DECIMAL(10,2)',
      'status VARCHAR',
      'coupon VARCHAR',
      'ordered_at TIMESTAMP WITH TIME ZONE',
    ]);
    expect(orders.comment).toBe('2 files');
    expect(orders.sizeBytes).toBeGreaterThan(0);
    const sample = await source.sampleRows({ schema: '', table: 'orders' }, 100);
    expect(sample.rows).toHaveLength(20);
    expect(JSON.parse(JSON.stringify(sample))).toEqual(sample);
    const profiles = await source.profileColumns({ schema: '', table: 'orders' }, ['coupon', 'status']);
    const coupon = profiles.find((p) => p.column === 'coupon');
    const status = profiles.find((p) => p.column === 'status');
    expect(coupon?.rows).toBe(WAREHOUSE_COUNTS.orders);
    expect(coupon?.distinct).toBe(3);
    expect(coupon?.nullShare).toBeGreaterThan(0.6);
    expect(status?.topValues.reduce((sum, t) => sum + t.count, 0)).toBe(WAREHOUSE_COUNTS.orders);
    // Every column of the CSV view (7 scans of a CSV within the 256 MB memory_limit).
    const customers = await source.profileColumns({ schema: '', table: 'customers' });
    expect(customers.find((p) => p.column === 'country')?.distinct).toBe(6);
    const all = await source.profileColumns({ schema: '', table: 'events' });
    expect(all.map((p) => p.column)).toEqual(['id', 'customer_id', 'kind', 'properties', 'occurred_at']);
    const plan = await source.explain('SELECT status, count(*) FROM orders GROUP BY status');
    expect(plan.text).toMatch(/READ_PARQUET|PARQUET_SCAN|TABLE_SCAN/i);
    expect(plan.text).not.toContain(dir);
  });

  it('runs a read-only query, caps the rows, and masks PII when asked', async () => {
    const grouped = await source.query(
      'SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY status; -- done',
    );
    expect(grouped.rows.map((r) => r[0])).toEqual(['paid', 'pending', 'refunded', 'shipped']);
    const window = await source.query(
      `WITH daily AS (SELECT date_trunc('day', ordered_at) AS day, sum(amount) AS revenue FROM orders GROUP BY 1)
       SELECT day, revenue, sum(revenue) OVER (ORDER BY day) AS running FROM daily ORDER BY day LIMIT 3`,
    );
    expect(window.columns).toEqual(['day', 'revenue', 'running']);
    expect((await source.query('SELECT count(*) AS n FROM range(10) r, orders')).rows).toEqual([['6000']]);
    const many = await source.query('SELECT * FROM events');
    expect(many.rows).toHaveLength(50);
    expect(many.truncated).toBe(true);
    const shown = formatRows(maskRows(await source.query('SELECT * FROM customers')));
    for (const c of warehouseRows().customers) {
      for (const value of [c.email, c.phone, c.card_number, c.full_name]) expect(shown).not.toContain(value);
    }
  });

  it('treats a hostile view name as a name', async () => {
    await expect(
      source.describeTable({ schema: '', table: 'orders"; DROP VIEW customers; --' }),
    ).rejects.toThrow(/no table or view named/);
    await expect(source.profileColumns({ schema: '', table: 'orders' }, ['id" FROM x; --'])).rejects.toThrow(
      /no column/,
    );
    await expect(
      source.sampleRows({ schema: 'information_schema', table: 'tables' }, 5),
    ).rejects.toBeInstanceOf(DataSourceError);
    expect((await source.listTables()).tables).toHaveLength(3);
  });

  it.each(HOSTILE_DUCKDB_STATEMENTS.filter((h) => h.expect === 'refused').map((h) => [h.name, h] as const))(
    'refuses %s',
    async (_name, hostile) => {
      const error = await source.query(hostile.sql).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(ReadOnlyRefusal);
      expect(error?.message).not.toContain(dir);
    },
  );

  it.each(HOSTILE_DUCKDB_STATEMENTS.filter((h) => h.expect === 'timeout').map((h) => [h.name, h] as const))(
    'interrupts %s at the statement timeout, and the source answers afterwards',
    async (_name, hostile) => {
      const error = await source.query(hostile.sql).then(
        () => undefined,
        (e: unknown) => e as DataSourceError,
      );
      expect(error).toBeInstanceOf(DataSourceError);
      expect(error?.timedOut).toBe(true);
      expect((await source.query('SELECT count(*) AS n FROM customers')).rows).toEqual([
        [String(WAREHOUSE_COUNTS.customers)],
      ]);
    },
    30_000,
  );

  it('keeps the data out of conversion errors (no email, name or phone quoted back)', async () => {
    const statements = [
      "SELECT string_agg(email || ' ' || full_name || ' ' || phone, ',')::INTEGER FROM customers",
      'SELECT email::INTEGER FROM customers',
      'SELECT CAST(phone AS DATE) FROM customers',
    ];
    for (const sql of statements) {
      const error = await source.query(sql).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(DataSourceError);
      expect(error?.message).toMatch(/Conversion Error/);
      for (const c of warehouseRows().customers) {
        for (const value of [c.email, c.full_name, c.phone, c.full_name.split(' ')[0] as string]) {
          expect(error?.message).not.toContain(value);
        }
      }
    }
  });

  it('never shows a configured path, even in DuckDB errors', async () => {
    const errors = await Promise.all(
      ['SELECT nope FROM orders', "SELECT * FROM orders WHERE amount > 'many'", 'SELECT * FROM orders2'].map(
        (sql) =>
          source.query(sql).then(
            () => '',
            (e: Error) => e.message,
          ),
      ),
    );
    for (const message of errors) {
      expect(message).not.toBe('');
      expect(message).not.toContain(dir);
    }
  });

  it("keeps DuckDB locked down even when the guard is bypassed (the engine's raw path)", async () => {
    const { paths } = await writeWarehouseFiles(join(dir, 'copy'));
    const engine = await DuckDbEngine.open({
      paths,
      memoryLimitMb: 128,
      statementTimeoutMs: 2_000,
      maxCellChars: 200,
      maxRssMb: 1_000,
    });
    try {
      expect((await engine.internal('SELECT count(*) FROM orders')).rows).toEqual([
        [String(WAREHOUSE_COUNTS.orders)],
      ]);
      for (const sql of [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/*')",
        `COPY (SELECT 1) TO '${join(dir, 'copy', 'orders', 'x.csv')}'`,
        `COPY (SELECT 1) TO '${join(tmpdir(), 'deb-escape.csv')}'`,
        `ATTACH '${join(dir, 'evil.duckdb')}' AS evil`,
        'SET enable_external_access = true',
        "SET allowed_directories = ['/']",
        'INSTALL httpfs',
        'LOAD sqlite',
      ]) {
        await expect(engine.internal(sql), sql).rejects.toThrow(/Permission|disabled|locked|Cannot/);
      }
    } finally {
      engine.close();
      await rm(join(dir, 'copy'), { recursive: true, force: true });
    }
  });

  it('ends its DuckDB process when idle and starts a fresh one on the next call', async () => {
    const { paths } = await writeWarehouseFiles(join(dir, 'idle'));
    const idle = new DuckDbDataSource(
      {
        name: 'idle',
        kind: 'duckdb',
        paths,
        allowAnalyze: false,
        statementTimeoutMs: 2_000,
        maxRows: 10,
        memoryLimitMb: 128,
      },
      { ...DEFAULT_DATA_SOURCE_LIMITS, statementTimeoutMs: 2_000 },
      { idleMs: 300 },
    );
    try {
      expect(idle.processRunning).toBe(false);
      expect((await idle.listTables()).tables).toHaveLength(3);
      expect(idle.processRunning).toBe(true);
      await until(() => !idle.processRunning, 10_000);
      expect((await idle.query('SELECT count(*) AS n FROM customers')).rows).toEqual([
        [String(WAREHOUSE_COUNTS.customers)],
      ]);
    } finally {
      await idle.close();
      await rm(join(dir, 'idle'), { recursive: true, force: true });
    }
  });

  it('kills a DuckDB process that does not answer by its deadline (the interrupt failed or it hangs)', async () => {
    const { paths } = await writeWarehouseFiles(join(dir, 'stuck'));
    // The child's own statement timer set far away: only the bot-side deadline can end this query.
    const child = new DuckDbChild(
      { paths, memoryLimitMb: 128, statementTimeoutMs: 600_000, maxCellChars: 200, maxRssMb: 1_000 },
      60_000,
    );
    try {
      const endless = HOSTILE_DUCKDB_STATEMENTS.find((h) => h.expect === 'timeout')?.sql ?? '';
      await expect(child.request({ op: 'query', sql: endless, maxRows: 10 }, 3_000)).rejects.toThrow(
        /no reply within 3 s; the DuckDB process was stopped/,
      );
      await until(() => !child.alive, 5_000);
    } finally {
      child.kill('test over');
      await rm(join(dir, 'stuck'), { recursive: true, force: true });
    }
  });

  it('leaves the files unchanged and writes none', async () => {
    expect(await filesChecksum(dir)).toBe(checksum);
  });
});
