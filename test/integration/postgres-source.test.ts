import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DataSource,
  DataSourceError,
  DEFAULT_DATA_SOURCE_LIMITS,
  ReadOnlyRefusal,
} from '../../src/core/data-sources/data-source.js';
import { formatProfiles, formatRows } from '../../src/core/data-sources/format-results.js';
import { maskProfiles, maskRows } from '../../src/core/data-sources/pii-mask.js';
import { buildDataSourceCatalog, createDataSource } from '../../src/datasources/catalog.js';
import { PostgresSession } from '../../src/datasources/postgres-session.js';
import { PostgresDataSource } from '../../src/datasources/postgres-source.js';
import { HOSTILE_STATEMENTS } from '../support/hostile-statements.js';
import { type PgliteServer, startPgliteServer } from '../support/pglite-server.js';
import {
  seedPostgresWarehouse,
  WAREHOUSE_COUNTS,
  warehouseChecksum,
  warehouseRows,
} from '../support/sample-warehouse.js';
import { until } from '../support/wait.js';

/**
 * The PostgreSQL adapter against PGlite served over the wire (the real `pg` driver): catalog tools,
 * the row cap, the guard on every hostile statement, the client-side timeout (PGlite ignores
 * statement_timeout) and the pool afterwards, quoting of names the model gives, and connection details
 * kept out of errors.
 */

const TIMEOUT_MS = 300;

describe('PostgreSQL data source (PGlite over the wire)', () => {
  let server: PgliteServer;
  let admin: pg.Client;
  let source: DataSource;
  let checksum: string;

  beforeAll(async () => {
    server = await startPgliteServer();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await seedPostgresWarehouse(admin);
    checksum = await warehouseChecksum(admin);
    source = createDataSource({
      name: 'warehouse',
      kind: 'postgres',
      url: server.url,
      allowAnalyze: false,
      statementTimeoutMs: TIMEOUT_MS,
      maxRows: 50,
      maxConnections: 2,
    });
  }, 60_000);

  afterAll(async () => {
    await source?.close();
    await admin?.end();
    await server?.stop();
  });

  it('lists the tables with their row estimates', async () => {
    const list = await source.listTables();
    expect(list.truncated).toBe(false);
    expect(list.tables.map((t) => `${t.schema}.${t.table}:${t.kind}`)).toEqual([
      'public.customers:table',
      'public.events:table',
      'public.orders:table',
    ]);
    expect(list.tables.find((t) => t.table === 'orders')?.rowEstimate).toBe(WAREHOUSE_COUNTS.orders);
  });

  it('describes a table: columns, keys, foreign keys, indexes, comments, size', async () => {
    const orders = await source.describeTable({ schema: 'public', table: 'orders' });
    expect(orders.columns.map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' not null'}`)).toEqual([
      'id bigint not null',
      'customer_id integer not null',
      'order_number text not null',
      'amount numeric(10,2) not null',
      'status text not null',
      'coupon text',
      'ordered_at timestamp with time zone not null',
    ]);
    expect(orders.primaryKey).toEqual(['id']);
    expect(orders.foreignKeys).toEqual([
      { columns: ['customer_id'], references: { schema: 'public', table: 'customers', columns: ['id'] } },
    ]);
    expect(orders.indexes.join('\n')).toContain(
      'CREATE INDEX orders_customer_idx ON public.orders USING btree (customer_id)',
    );
    expect(orders.sizeBytes).toBeGreaterThan(0);
    const customers = await source.describeTable({ schema: '', table: 'customers' });
    expect(customers.comment).toBe('People who bought something; PII.');
    expect(customers.columns.find((c) => c.name === 'email')?.comment).toBe('Login e-mail');
    expect(customers.columns.find((c) => c.name === 'created_at')?.default).toBe('now()');
  });

  it('samples at most 20 rows with JSON-safe cells', async () => {
    const sample = await source.sampleRows({ schema: 'public', table: 'orders' }, 500);
    expect(sample.rows).toHaveLength(20);
    const row = Object.fromEntries(sample.columns.map((c, i) => [c, sample.rows[0]?.[i]]));
    expect(row).toMatchObject({ id: '1', order_number: 'ORD-2026-000001', customer_id: expect.any(Number) });
    expect(typeof row.amount).toBe('string');
    expect(typeof row.ordered_at).toBe('string');
    expect(JSON.parse(JSON.stringify(sample))).toEqual(sample);
  });

  it('masks every email, phone, card number and name of the sampled customers', async () => {
    const { customers } = warehouseRows();
    const sample = maskRows(
      await source.sampleRows({ schema: 'public', table: 'customers' }, 20),
      'customers',
    );
    const free = maskRows(await source.query('SELECT * FROM customers'));
    const profile = maskProfiles(
      await source.profileColumns({ schema: 'public', table: 'customers' }),
      'customers',
    );
    const shown = [formatRows(sample), formatRows(free), formatProfiles('public.customers', profile)].join(
      '\n',
    );
    for (const c of customers) {
      for (const value of [c.email, c.phone, c.card_number, c.full_name]) expect(shown).not.toContain(value);
    }
    expect(sample.maskedColumns).toEqual(['full_name', 'email', 'phone', 'card_number']);
    expect(shown).toMatch(/<card \*{4}\d{4}>/);
    expect(shown).toContain('<email>');
  });

  it('profiles columns with aggregates only', async () => {
    const profiles = await source.profileColumns({ schema: 'public', table: 'orders' }, [
      'coupon',
      'status',
      'amount',
    ]);
    const coupon = profiles.find((p) => p.column === 'coupon');
    expect(coupon?.rows).toBe(WAREHOUSE_COUNTS.orders);
    expect(coupon?.nullShare).toBeGreaterThan(0.6);
    expect(coupon?.nullShare).toBeLessThan(0.95);
    expect(coupon?.distinct).toBe(3);
    const status = profiles.find((p) => p.column === 'status');
    expect(status?.topValues.map((t) => t.value).sort()).toEqual(['paid', 'pending', 'refunded', 'shipped']);
    expect(status?.topValues.reduce((sum, t) => sum + t.count, 0)).toBe(WAREHOUSE_COUNTS.orders);
    const amount = profiles.find((p) => p.column === 'amount');
    expect(Number(amount?.min)).toBeLessThan(Number(amount?.max));
    const all = await source.profileColumns({ schema: 'public', table: 'events' });
    expect(all.map((p) => p.column)).toEqual(['id', 'customer_id', 'kind', 'properties', 'occurred_at']);
    expect(all.find((p) => p.column === 'properties')?.distinct).toBeGreaterThan(1);
  });

  it('explains a query (text plan) and refuses ANALYZE where the source does not allow it', async () => {
    const plan = await source.explain('SELECT * FROM orders WHERE customer_id = 7');
    expect(plan.analyzed).toBe(false);
    expect(plan.text).toMatch(/Scan/);
    await expect(source.explain('SELECT 1', { analyze: true })).rejects.toBeInstanceOf(DataSourceError);
  });

  it('runs a read-only query and caps the rows it fetches', async () => {
    const few = await source.query(
      'SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY status;',
    );
    expect(few.columns).toEqual(['status', 'n']);
    expect(few.rows).toHaveLength(4);
    expect(few.truncated).toBe(false);
    const many = await source.query('SELECT * FROM events -- every row\n');
    expect(many.rows).toHaveLength(50);
    expect(many.truncated).toBe(true);
    const explained = await source.query('EXPLAIN SELECT * FROM customers');
    expect(explained.columns).toEqual(['QUERY PLAN']);
  });

  it('cuts a huge cell on the server: the client reads under 1 MB, and the pool works after', async () => {
    const session = new PostgresSession({ url: server.url, statementTimeoutMs: 20_000, maxConnections: 1 });
    const limits = { ...DEFAULT_DATA_SOURCE_LIMITS, statementTimeoutMs: 20_000, maxRows: 50 };
    const wide = new PostgresDataSource('wide', false, session, limits);
    await admin.query('CREATE TABLE wide_cells (id int, body text, tags text[])');
    try {
      await admin.query(
        "INSERT INTO wide_cells VALUES (1, repeat('y', 50000000), ARRAY[repeat('z', 5000000)]), (2, 'short', NULL)",
      );
      await wide.query('SELECT 1'); // connect first: the login is not the work counted
      const before = session.bytesReceived();
      const big = await wide.query("SELECT repeat('x', 50000000) AS big, 7 AS n -- a trailing comment");
      expect(big.columns).toEqual(['big', 'n']);
      expect(big.rows).toEqual([[`${'x'.repeat(limits.maxCellChars)}…`, 7]]);
      const sample = await wide.sampleRows({ schema: 'public', table: 'wide_cells' }, 5);
      expect(sample.columns).toEqual(['id', 'body', 'tags']);
      expect(sample.rows[0]?.[1]).toBe(`${'y'.repeat(limits.maxCellChars)}…`);
      expect(sample.rows[1]).toEqual([2, 'short', null]);
      const dup = await wide.query('SELECT 1 AS a, 2 AS a');
      expect(dup).toEqual({ columns: ['a', 'a'], rows: [[1, 2]], truncated: false });
      expect(session.bytesReceived() - before).toBeLessThan(1_000_000);
      expect((await wide.query('SELECT 2 AS two')).rows).toEqual([[2]]);
    } finally {
      await admin.query('DROP TABLE wide_cells');
      await wide.close();
    }
  }, 60_000);

  it('ends the connection when one reply message is too large to buffer (a plan with a folded constant)', async () => {
    const session = new PostgresSession({ url: server.url, statementTimeoutMs: 20_000, maxConnections: 1 });
    const wide = new PostgresDataSource('wide', false, session, DEFAULT_DATA_SOURCE_LIMITS);
    try {
      await wide.query('SELECT 1');
      const before = session.bytesReceived();
      const error = await wide.explain("SELECT * FROM orders WHERE status = repeat('x', 20000000)").then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(DataSourceError);
      expect(error?.message).toMatch(/larger than 16 MB/);
      expect(session.bytesReceived() - before).toBeLessThan(4_000_000);
      expect((await wide.query('SELECT 3 AS three')).rows).toEqual([[3]]);
    } finally {
      await wide.close();
    }
  }, 60_000);

  it('keeps the data out of data errors (no email, name or phone quoted back)', async () => {
    const statements = [
      "SELECT string_agg(email || ' ' || full_name || ' ' || phone, ',')::int FROM customers",
      'SELECT email::int FROM customers',
      'SELECT full_name::date FROM customers',
      'SELECT phone::numeric FROM customers WHERE phone IS NOT NULL',
      "SELECT (full_name || E'\\n' || email)::int FROM customers",
      'SELECT email::varchar(3)::char(2)::int FROM customers',
    ];
    for (const sql of statements) {
      const error = await source.query(sql).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(DataSourceError);
      expect(error?.message).toMatch(/invalid input syntax|out of range/);
      for (const c of warehouseRows().customers) {
        for (const value of [c.email, c.full_name, c.phone, c.full_name.split(' ')[0] as string]) {
          expect(error?.message).not.toContain(value);
        }
      }
    }
  });

  it('masks literals in plans and partial-index definitions', async () => {
    await admin.query(
      "CREATE INDEX customers_vip_idx ON customers (id) WHERE email <> 'vip.person@example.com'",
    );
    try {
      const described = await source.describeTable({ schema: 'public', table: 'customers' });
      expect(described.indexes.join('\n')).toContain('customers_vip_idx');
      expect(described.indexes.join('\n')).not.toContain('vip.person@example.com');
      const plan = await source.explain("SELECT * FROM customers WHERE email = 'alice.martin@example.com'");
      expect(plan.text).toMatch(/Filter|Cond/);
      expect(plan.text).not.toContain('alice.martin@example.com');
    } finally {
      await admin.query('DROP INDEX customers_vip_idx');
    }
  });

  it("refuses a function PostgreSQL marks volatile (the warehouse's own too), admits harmless ones", async () => {
    await admin.query("CREATE FUNCTION audit_touch() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 1'");
    await admin.query("CREATE FUNCTION audit_pure() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 2'");
    await admin.query(
      "CREATE FUNCTION audit_op(int, int) RETURNS int LANGUAGE sql VOLATILE AS 'SELECT $1 + $2'; " +
        'CREATE OPERATOR @@@ (LEFTARG = int, RIGHTARG = int, FUNCTION = audit_op)',
    );
    try {
      for (const sql of [
        'SELECT audit_touch()',
        'SELECT * FROM orders WHERE id = public.audit_touch()',
        'SELECT setseed(0.5)',
        'EXPLAIN SELECT audit_touch()',
        'SELECT 1 @@@ 2',
        'SELECT id FROM orders WHERE id OPERATOR(public.@@@) 1 = 3',
      ]) {
        await expect(source.query(sql)).rejects.toThrow(/volatile/);
      }
      await expect(source.explain('SELECT audit_touch()')).rejects.toBeInstanceOf(ReadOnlyRefusal);
      const fine = await source.query(
        "SELECT audit_pure() AS p, random() < 2 AS r, pg_total_relation_size('orders') > 0 AS s, now() IS NOT NULL AS n",
      );
      expect(fine.rows).toEqual([[2, true, true, true]]);
    } finally {
      await admin.query(
        'DROP OPERATOR @@@ (int, int); DROP FUNCTION audit_op(int, int); DROP FUNCTION audit_touch(); DROP FUNCTION audit_pure()',
      );
    }
  });

  it('removes the connection user, database and host from query cells', async () => {
    const result = await source.query(
      "SELECT current_user AS u, current_database() AS d, 'me=' || session_user AS s, 'orders' AS t",
    );
    const shown = JSON.stringify(result.rows);
    const url = new URL(server.url);
    for (const secret of [url.username, url.pathname.slice(1), url.hostname])
      expect(shown).not.toContain(secret);
    expect(result.rows[0]?.[3]).toBe('orders');
  });

  it('masks what the model typed when an error echoes it (a table named like an email)', async () => {
    const error = await source.describeTable({ schema: 'public', table: 'alice.martin@example.com' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(DataSourceError);
    expect(error?.message).toMatch(/no table or view named/);
    expect(error?.message).not.toContain('alice.martin@example.com');
  });

  it('treats a hostile table name as a name, never as SQL', async () => {
    const hostile = 'orders"; DROP TABLE customers; --';
    await expect(source.describeTable({ schema: 'public', table: hostile })).rejects.toThrow(
      /no table or view named/,
    );
    await expect(source.sampleRows({ schema: 'public', table: hostile }, 5)).rejects.toBeInstanceOf(
      DataSourceError,
    );
    await expect(source.profileColumns({ schema: hostile, table: 'orders' })).rejects.toBeInstanceOf(
      DataSourceError,
    );
    await expect(
      source.profileColumns({ schema: 'public', table: 'orders' }, ['id", (SELECT 1) AS "x']),
    ).rejects.toThrow(/no column/);
    await expect(source.describeTable({ schema: 'pg_catalog', table: 'pg_authid' })).rejects.toThrow(
      /no table or view/,
    );
    // A table whose name really has quotes and a semicolon in it works like any other.
    await admin.query(`CREATE TABLE "we""ird; name" (id int)`);
    try {
      const weird = await source.describeTable({ schema: 'public', table: 'we"ird; name' });
      expect(weird.columns.map((c) => c.name)).toEqual(['id']);
      expect((await source.sampleRows({ schema: 'public', table: 'we"ird; name' }, 3)).rows).toEqual([]);
    } finally {
      await admin.query(`DROP TABLE "we""ird; name"`);
    }
    expect(await warehouseChecksum(admin)).toBe(checksum);
  });

  it.each(HOSTILE_STATEMENTS.filter((h) => h.expect === 'refused').map((h) => [h.name, h] as const))(
    'refuses %s before it reaches the source',
    async (_name, hostile) => {
      await expect(source.query(hostile.sql)).rejects.toBeInstanceOf(ReadOnlyRefusal);
      await expect(source.explain(hostile.sql)).rejects.toBeInstanceOf(ReadOnlyRefusal);
    },
  );

  it.each(HOSTILE_STATEMENTS.filter((h) => h.expect === 'timeout').map((h) => [h.name, h] as const))(
    'stops %s with a timeout, and the pool works afterwards',
    async (_name, hostile) => {
      const error = await source.query(hostile.sql).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DataSourceError);
      expect((error as DataSourceError).timedOut).toBe(true);
      // The pool keeps working: PGlite cannot cancel, so it first finishes the abandoned statement (a
      // real server cancels it: see postgres-real.test.ts); both pooled connections then answer.
      await until(async () => {
        const again = await Promise.all([
          source.query('SELECT 1 AS one'),
          source.query('SELECT 2 AS two'),
        ]).catch(() => undefined);
        return again?.map((r) => r.rows[0]?.[0]).join() === '1,2';
      }, 25_000);
    },
    30_000,
  );

  it('leaves the warehouse unchanged after every hostile statement', async () => {
    expect(await warehouseChecksum(admin)).toBe(checksum);
  });

  it('keeps the host and password out of the error of an unreachable source', async () => {
    const catalog = buildDataSourceCatalog([
      {
        name: 'down',
        kind: 'postgres',
        url: 'postgres://ro_user:Sup3r-s3cret@127.0.0.1:1/analytics',
        allowAnalyze: false,
        statementTimeoutMs: 2_000,
        maxRows: 10,
        maxConnections: 1,
      },
      {
        name: 'nowhere',
        kind: 'postgres',
        url: 'postgres://ro_user:Sup3r-s3cret@warehouse.invalid:5432/analytics',
        allowAnalyze: false,
        statementTimeoutMs: 2_000,
        maxRows: 10,
        maxConnections: 1,
      },
    ]);
    try {
      expect(catalog.list()).toEqual([
        { name: 'down', kind: 'postgres', allowsAnalyze: false },
        { name: 'nowhere', kind: 'postgres', allowsAnalyze: false },
      ]);
      for (const name of ['down', 'nowhere']) {
        const error = await catalog
          .get(name)
          ?.listTables()
          .then(
            () => undefined,
            (e: unknown) => e as Error,
          );
        expect(error).toBeInstanceOf(DataSourceError);
        const shown = `${error?.message} ${error?.stack}`;
        for (const secret of ['Sup3r-s3cret', '127.0.0.1', 'warehouse.invalid', 'ro_user', 'analytics']) {
          expect(shown).not.toContain(secret);
        }
        expect(error?.message).toMatch(/could not reach the source/);
      }
    } finally {
      await catalog.closeAll();
    }
  });

  it('reports a wrong password without the user or password', async () => {
    const wrong = createDataSource({
      name: 'x',
      kind: 'postgres',
      url: server.url
        .replace('postgres:postgres@', 'nobody_here:wrong-pw-123@')
        .replace(/\/postgres$/, '/nodb_here'),
      allowAnalyze: false,
      statementTimeoutMs: 2_000,
      maxRows: 10,
      maxConnections: 1,
    });
    try {
      const error = await wrong.listTables().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      // PGlite accepts any login; whatever happens, no detail of the URL shows.
      if (error) {
        expect(error).toBeInstanceOf(DataSourceError);
        expect(error.message).not.toMatch(/nobody_here|wrong-pw-123|nodb_here/);
      }
    } finally {
      await wrong.close();
    }
  });
});
