import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DataSource,
  DataSourceError,
  ReadOnlyRefusal,
} from '../../src/core/data-sources/data-source.js';
import { createDataSource } from '../../src/datasources/catalog.js';
import { PostgresSession } from '../../src/datasources/postgres-session.js';
import { HOSTILE_STATEMENTS } from '../support/hostile-statements.js';
import {
  dropPostgresWarehouse,
  seedPostgresWarehouse,
  warehouseChecksum,
} from '../support/sample-warehouse.js';
import { until } from '../support/wait.js';

/**
 * Against a real PostgreSQL (`.ci/run` starts one): what PGlite cannot show. The server's
 * statement_timeout stops pg_sleep(600); when only the client's deadline fires, its protocol cancel stops
 * the backend; the operator's read-only role refuses writes even with the guard bypassed (the session
 * layer called directly). Runs only when TEST_DATABASE_URL (a superuser URL of a throwaway database) is
 * set; TEST_DATABASE_READONLY_URL is the read-only role .ci/run made (else the test makes one).
 */

const ADMIN_URL = process.env.TEST_DATABASE_URL;
const TIMEOUT_MS = 400;

describe.skipIf(!ADMIN_URL)('PostgreSQL data source (a real server)', () => {
  let admin: pg.Client;
  let readonlyUrl: string;
  let source: DataSource;
  let checksum: string;

  /** Backends (other than ours) running a statement that contains `text`. */
  const running = async (text: string) => {
    const r = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE pid <> pg_backend_pid() AND state = 'active' AND position($1 in query) > 0`,
      [text],
    );
    return r.rows[0].n as number;
  };

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await dropPostgresWarehouse(admin);
    await seedPostgresWarehouse(admin);
    if (process.env.TEST_DATABASE_READONLY_URL) {
      readonlyUrl = process.env.TEST_DATABASE_READONLY_URL;
    } else {
      // The README's recipe, for a run without .ci/run's role.
      await admin.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'deb_readonly_test') THEN
          CREATE ROLE deb_readonly_test LOGIN PASSWORD 'deb-readonly-test';
        END IF; END $$`);
      await admin.query('ALTER ROLE deb_readonly_test SET default_transaction_read_only = on');
      await admin.query('GRANT USAGE ON SCHEMA public TO deb_readonly_test');
      const database = decodeURIComponent(new URL(ADMIN_URL as string).pathname.slice(1));
      await admin.query(`REVOKE TEMP ON DATABASE ${pg.escapeIdentifier(database)} FROM PUBLIC`);
      await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      const url = new URL(ADMIN_URL as string);
      url.username = 'deb_readonly_test';
      url.password = 'deb-readonly-test';
      readonlyUrl = url.toString();
    }
    const role = decodeURIComponent(new URL(readonlyUrl).username);
    await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${pg.escapeIdentifier(role)}`);
    checksum = await warehouseChecksum(admin);
    source = createDataSource({
      name: 'warehouse',
      kind: 'postgres',
      url: readonlyUrl,
      allowAnalyze: false,
      statementTimeoutMs: TIMEOUT_MS,
      maxRows: 50,
      maxConnections: 2,
    });
  }, 60_000);

  afterAll(async () => {
    await source?.close();
    await admin?.end();
  });

  it('reads the warehouse through the read-only role', async () => {
    expect((await source.listTables()).tables.map((t) => t.table)).toEqual(['customers', 'events', 'orders']);
    expect((await source.describeTable({ schema: 'public', table: 'orders' })).primaryKey).toEqual(['id']);
    expect((await source.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([[600]]);
    // EXPLAIN ANALYZE only where the operator allowed it.
    const analyzing = createDataSource({
      name: 'analyzing',
      kind: 'postgres',
      url: readonlyUrl,
      allowAnalyze: true,
      statementTimeoutMs: 5_000,
      maxRows: 50,
      maxConnections: 1,
    });
    try {
      const plan = await analyzing.explain('SELECT * FROM orders WHERE customer_id = 3', { analyze: true });
      expect(plan.analyzed).toBe(true);
      expect(plan.text).toMatch(/actual time/);
    } finally {
      await analyzing.close();
    }
  });

  it("stops pg_sleep(600) with the server's statement_timeout (guard bypassed)", async () => {
    const session = new PostgresSession({ url: readonlyUrl, statementTimeoutMs: TIMEOUT_MS });
    try {
      const error = await session
        .readOnly((db) => db.rows('SELECT pg_sleep(600)'))
        .then(
          () => undefined,
          (e: unknown) => e as DataSourceError,
        );
      expect(error).toBeInstanceOf(DataSourceError);
      expect(error?.timedOut).toBe(true);
      expect(await running('pg_sleep(600)')).toBe(0);
      // The connection was not thrown away: the server cancelled the statement, the pool reuses it.
      expect(await session.readOnly((db) => db.rows('SELECT 1'))).toEqual({
        columns: ['?column?'],
        rows: [[1]],
      });
    } finally {
      await session.close();
    }
  });

  it("cancels the backend from the client when only the client's deadline fires", async () => {
    const session = new PostgresSession({
      url: readonlyUrl,
      statementTimeoutMs: TIMEOUT_MS,
      serverStatementTimeoutMs: 600_000,
    });
    try {
      const error = await session
        .readOnly((db) => db.rows('SELECT pg_sleep(599)'))
        .then(
          () => undefined,
          (e: unknown) => e as DataSourceError,
        );
      expect(error?.timedOut).toBe(true);
      await until(async () => (await running('pg_sleep(599)')) === 0, 10_000);
      expect(await session.readOnly((db) => db.rows('SELECT 2 AS two'))).toEqual({
        columns: ['two'],
        rows: [[2]],
      });
    } finally {
      await session.close();
    }
  });

  it('refuses writes in the read-only transaction and by the role, even with the guard bypassed', async () => {
    const session = new PostgresSession({ url: readonlyUrl, statementTimeoutMs: 5_000 });
    try {
      await expect(
        session.readOnly((db) =>
          db.rows("INSERT INTO events (id, kind, properties, occurred_at) VALUES (99999, 'x', '{}', now())"),
        ),
      ).rejects.toThrow(/read-only transaction/);
      await expect(session.readOnly((db) => db.rows("SELECT nextval('invoice_seq')"))).rejects.toThrow(
        /read-only transaction|permission denied/,
      );
    } finally {
      await session.close();
    }
    // Without our transaction at all: the role's default and its grants refuse on their own.
    const raw = new pg.Client({ connectionString: readonlyUrl });
    await raw.connect();
    try {
      expect(
        (await raw.query('SHOW default_transaction_read_only')).rows[0].default_transaction_read_only,
      ).toBe('on');
      await expect(raw.query('DELETE FROM orders')).rejects.toThrow(
        /read-only transaction|permission denied/,
      );
      await raw.query('SET default_transaction_read_only = off');
      await expect(raw.query('DELETE FROM orders')).rejects.toThrow(/permission denied/);
      await expect(raw.query('CREATE TABLE stolen (id int)')).rejects.toThrow(/permission denied/);
      // Temporary tables too: the README's REVOKE TEMP … FROM PUBLIC.
      await expect(raw.query('CREATE TEMP TABLE stolen (id int)')).rejects.toThrow(/permission denied/);
    } finally {
      await raw.end();
    }
  });

  it('leaves no session state on a pooled connection: an advisory lock taken is gone after the call', async () => {
    const session = new PostgresSession({ url: readonlyUrl, statementTimeoutMs: 5_000, maxConnections: 1 });
    const advisoryLocks = async () =>
      (await admin.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'")).rows[0]
        .n as number;
    try {
      // The guard bypassed: what ts_rewrite's nested SQL did before it was denied.
      await session.readOnly((db) => db.rows('SELECT pg_advisory_lock(42)'));
      await session.readOnly((db) => db.rows("SELECT set_config('work_mem', '1GB', false)"));
      expect(await advisoryLocks()).toBe(0);
      const [setting] = (await session.readOnly((db) => db.rows('SHOW work_mem'))).rows;
      expect(setting).not.toEqual(['1GB']);
      // And through the tools: refused before it runs.
      await expect(
        source.query(
          "select ts_rewrite('a'::tsquery, $$select 'a'::tsquery,'b'::tsquery from pg_advisory_lock(42)$$)",
        ),
      ).rejects.toBeInstanceOf(ReadOnlyRefusal);
      expect(await advisoryLocks()).toBe(0);
    } finally {
      await session.close();
    }
  });

  it('keeps a backslash literal one statement on a server with standard_conforming_strings off', async () => {
    // A superuser's connection on purpose: only the transaction and the protocol stand in the way.
    await admin.query('DROP DATABASE IF EXISTS deb_scs_off');
    await admin.query('CREATE DATABASE deb_scs_off');
    await admin.query('ALTER DATABASE deb_scs_off SET standard_conforming_strings = off');
    const url = new URL(ADMIN_URL as string);
    url.pathname = '/deb_scs_off';
    const other = new pg.Client({ connectionString: url.toString() });
    await other.connect();
    const superuser = createDataSource({
      name: 'scs',
      kind: 'postgres',
      url: url.toString(),
      allowAnalyze: false,
      statementTimeoutMs: 5_000,
      maxRows: 50,
      maxConnections: 1,
    });
    try {
      await seedPostgresWarehouse(other);
      const before = await warehouseChecksum(other);
      expect(
        (await other.query('SHOW standard_conforming_strings')).rows[0].standard_conforming_strings,
      ).toBe('off');
      const attack =
        "select 'a\\''; commit; set session characteristics as transaction read write; create table pwned(x int); insert into pwned values (1); --'";
      // Read as the guard read it (one literal), the statement is harmless; whatever it returns, nothing
      // after the backslash may run as a statement of its own.
      await superuser.explain(attack).catch(() => undefined);
      await superuser.query(attack).catch(() => undefined);
      expect((await other.query("SELECT to_regclass('public.pwned') AS t")).rows[0].t).toBeNull();
      expect(await warehouseChecksum(other)).toBe(before);
      expect((await superuser.query("SELECT 'a\\b' AS s")).rows).toEqual([['a\\b']]);
    } finally {
      await superuser.close();
      await other.end();
      await admin.query('DROP DATABASE IF EXISTS deb_scs_off WITH (FORCE)');
    }
  }, 30_000);

  it.each(HOSTILE_STATEMENTS.map((h) => [h.name, h] as const))(
    '%s is refused or stopped',
    async (_name, hostile) => {
      const error = await source.query(hostile.sql).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      if (hostile.expect === 'refused') {
        expect(error).toBeInstanceOf(ReadOnlyRefusal);
      } else {
        expect(error).toBeInstanceOf(DataSourceError);
        expect((error as DataSourceError).timedOut).toBe(true);
        await until(async () => (await running(hostile.sql.slice(0, 40))) === 0, 10_000);
      }
    },
    20_000,
  );

  it('leaves the warehouse unchanged', async () => {
    expect(await warehouseChecksum(admin)).toBe(checksum);
  });
});
