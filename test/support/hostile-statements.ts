/**
 * Why this file exists: the statements a model (or a person steering it) might send to a read-only data
 * tool to write, escape, stall or read what it should not, as data. Every data-source test runs all of them
 * and checks each is refused by the guard before it reaches the source ('refused') or cancelled by the
 * statement timeout ('timeout'), and that the sample warehouse's checksum is unchanged afterwards.
 *
 * The 'timeout' statements are slow but finite (seconds on PGlite, which ignores statement_timeout and
 * cannot be cancelled): a test gives them a short timeout and PGlite still finishes them in time for the
 * checksum. On a real PostgreSQL the server-side statement_timeout stops them.
 */

export type HostileOutcome = 'refused' | 'timeout';

export interface HostileStatement {
  /** What the statement tries, in a few words (test names). */
  name: string;
  sql: string;
  expect: HostileOutcome;
}

const LONG_LIST = Array.from({ length: 12_000 }, (_, i) => `${i}`).join(' + ');

/** PostgreSQL (through the `pg` adapter). */
export const HOSTILE_STATEMENTS: readonly HostileStatement[] = [
  {
    name: 'INSERT',
    sql: "INSERT INTO customers (id, full_name, email, country) VALUES (999, 'x', 'x@x.io', 'DE')",
    expect: 'refused',
  },
  { name: 'UPDATE', sql: "UPDATE customers SET email = 'owned@evil.io'", expect: 'refused' },
  { name: 'DELETE', sql: 'DELETE FROM orders', expect: 'refused' },
  { name: 'DROP TABLE', sql: 'DROP TABLE customers CASCADE', expect: 'refused' },
  { name: 'CREATE TABLE', sql: 'CREATE TABLE stolen AS SELECT * FROM customers', expect: 'refused' },
  { name: 'ALTER TABLE', sql: 'ALTER TABLE orders ADD COLUMN note text', expect: 'refused' },
  { name: 'TRUNCATE', sql: 'TRUNCATE events', expect: 'refused' },
  { name: 'GRANT', sql: 'GRANT ALL ON customers TO PUBLIC', expect: 'refused' },
  { name: 'COPY TO file', sql: "COPY customers TO '/tmp/customers.csv'", expect: 'refused' },
  { name: 'COPY TO PROGRAM', sql: "COPY (SELECT 1) TO PROGRAM 'id > /tmp/pwned'", expect: 'refused' },
  { name: 'two statements', sql: 'SELECT 1; DELETE FROM orders', expect: 'refused' },
  {
    name: 'comment hides a second statement',
    sql: 'SELECT 1 /* harmless */; DROP TABLE orders -- tidy',
    expect: 'refused',
  },
  { name: 'line comment then statement', sql: 'SELECT 1 -- ; \n; DELETE FROM events', expect: 'refused' },
  { name: 'dollar quoting hides a semicolon', sql: 'SELECT $q$;$q$; DELETE FROM orders', expect: 'refused' },
  { name: 'pg_sleep(600)', sql: 'SELECT pg_sleep(600)', expect: 'refused' },
  { name: 'schema-qualified quoted pg_sleep', sql: 'SELECT "pg_catalog"."pg_sleep"(600)', expect: 'refused' },
  {
    name: 'pg_sleep_for in a subquery',
    sql: "SELECT * FROM orders WHERE id IN (SELECT 1 FROM pg_sleep_for('10 minutes'))",
    expect: 'refused',
  },
  { name: 'pg_read_file', sql: "SELECT pg_read_file('/etc/passwd')", expect: 'refused' },
  { name: 'pg_ls_dir', sql: "SELECT * FROM pg_ls_dir('/')", expect: 'refused' },
  { name: 'SET ROLE', sql: 'SET ROLE postgres', expect: 'refused' },
  { name: 'SET read-only off', sql: 'SET default_transaction_read_only = off', expect: 'refused' },
  { name: 'set_config', sql: "SELECT set_config('transaction_read_only', 'off', true)", expect: 'refused' },
  {
    name: 'CTE with INSERT … RETURNING',
    sql: "WITH x AS (INSERT INTO events (id, kind, properties, occurred_at) VALUES (9999, 'x', '{}', now()) RETURNING *) SELECT * FROM x",
    expect: 'refused',
  },
  {
    name: 'CTE with DELETE in a subquery',
    sql: 'SELECT * FROM (WITH d AS (DELETE FROM orders RETURNING id) SELECT id FROM d) s',
    expect: 'refused',
  },
  { name: 'SELECT … INTO', sql: 'SELECT * INTO stolen FROM customers', expect: 'refused' },
  { name: 'FOR UPDATE', sql: 'SELECT * FROM orders FOR UPDATE', expect: 'refused' },
  { name: 'nextval', sql: "SELECT nextval('invoice_seq')", expect: 'refused' },
  { name: 'setval', sql: "SELECT setval('invoice_seq', 1000)", expect: 'refused' },
  {
    name: 'dblink',
    sql: "SELECT * FROM dblink('host=evil.example', 'DELETE FROM x') AS t(x int)",
    expect: 'refused',
  },
  { name: 'lo_import', sql: "SELECT lo_import('/etc/passwd')", expect: 'refused' },
  {
    name: 'query_to_xml runs a write',
    sql: "SELECT query_to_xml('DELETE FROM orders RETURNING 1', true, false, '')",
    expect: 'refused',
  },
  { name: 'DO block', sql: 'DO $$ BEGIN DELETE FROM orders; END $$', expect: 'refused' },
  { name: 'CALL', sql: 'CALL cleanup_orders()', expect: 'refused' },
  {
    name: 'CREATE FUNCTION',
    sql: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'DELETE FROM orders RETURNING 1'",
    expect: 'refused',
  },
  { name: 'VACUUM', sql: 'VACUUM FULL orders', expect: 'refused' },
  { name: 'LISTEN', sql: 'LISTEN orders_changed', expect: 'refused' },
  { name: 'NOTIFY', sql: "NOTIFY orders_changed, 'x'", expect: 'refused' },
  { name: 'pg_notify', sql: "SELECT pg_notify('orders_changed', 'x')", expect: 'refused' },
  { name: 'PREPARE a DELETE', sql: 'PREPARE p AS DELETE FROM orders', expect: 'refused' },
  { name: 'EXECUTE', sql: 'EXECUTE p', expect: 'refused' },
  { name: 'BEGIN', sql: 'BEGIN', expect: 'refused' },
  { name: 'COMMIT then a write', sql: 'COMMIT; DELETE FROM orders', expect: 'refused' },
  { name: 'EXPLAIN ANALYZE DELETE', sql: 'EXPLAIN ANALYZE DELETE FROM orders', expect: 'refused' },
  {
    name: 'EXPLAIN ANALYZE SELECT where not allowed',
    sql: 'EXPLAIN ANALYZE SELECT * FROM orders',
    expect: 'refused',
  },
  {
    name: 'pg_terminate_backend',
    sql: 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity',
    expect: 'refused',
  },
  { name: 'pg_advisory_lock', sql: 'SELECT pg_advisory_lock(42)', expect: 'refused' },
  {
    name: 'ts_rewrite runs SQL text that takes an advisory lock',
    sql: "select ts_rewrite('a'::tsquery, $$select 'a'::tsquery,'b'::tsquery from pg_advisory_lock(42)$$)",
    expect: 'refused',
  },
  {
    name: 'query_to_xmlschema runs SQL text',
    sql: "SELECT query_to_xmlschema('SELECT pg_advisory_lock(43)', true, false, '')",
    expect: 'refused',
  },
  {
    name: '500 nested subqueries',
    sql: `SELECT ${'(SELECT '.repeat(500)}1${')'.repeat(500)}`,
    expect: 'refused',
  },
  { name: '2000 chained additions', sql: `SELECT 1${'+1'.repeat(2000)}`, expect: 'refused' },
  { name: 'pg_authid', sql: 'SELECT rolname, rolpassword FROM pg_authid', expect: 'refused' },
  {
    name: 'connection facts (server address and port)',
    sql: 'select current_user, current_database(), inet_server_addr(), inet_server_port()',
    expect: 'refused',
  },
  {
    name: 'pg_stat_activity',
    sql: 'SELECT usename, client_addr, query FROM pg_stat_activity',
    expect: 'refused',
  },
  {
    name: 'pg_settings',
    sql: "SELECT name, setting FROM pg_catalog.pg_settings WHERE name LIKE '%file%'",
    expect: 'refused',
  },
  { name: 'pg_stat_replication', sql: 'SELECT * FROM pg_stat_replication', expect: 'refused' },
  { name: 'unicode-escaped pg_shadow', sql: 'SELECT * FROM U&"\\0070g_shadow"', expect: 'refused' },
  { name: 'very long statement', sql: `SELECT ${LONG_LIST}`, expect: 'refused' },
  { name: 'not SQL at all', sql: 'please drop the orders table', expect: 'refused' },
  {
    name: 'md5 over millions of rows',
    sql: "SELECT count(*) FROM generate_series(1, 4000000) g WHERE md5(g::text) LIKE '%ab%'",
    expect: 'timeout',
  },
  {
    name: 'recursive CTE of millions of rows',
    sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5000000) SELECT count(*) FROM r',
    expect: 'timeout',
  },
  {
    name: 'cross join',
    sql: 'SELECT count(*) FROM orders a, orders b, generate_series(1, 8) g WHERE md5(a.id::text || b.id::text) < md5(g::text)',
    expect: 'timeout',
  },
];

/** DuckDB over files (the duckdb adapter): its guard and its own sandbox settings. */
export const HOSTILE_DUCKDB_STATEMENTS: readonly HostileStatement[] = [
  { name: 'CREATE TABLE', sql: 'CREATE TABLE stolen AS SELECT * FROM customers', expect: 'refused' },
  { name: 'INSERT', sql: 'INSERT INTO customers SELECT * FROM customers', expect: 'refused' },
  { name: 'DROP VIEW', sql: 'DROP VIEW orders', expect: 'refused' },
  { name: 'COPY TO file', sql: "COPY (SELECT * FROM customers) TO '/tmp/stolen.csv'", expect: 'refused' },
  { name: 'ATTACH', sql: "ATTACH '/tmp/evil.duckdb' AS evil", expect: 'refused' },
  { name: 'INSTALL httpfs', sql: 'INSTALL httpfs', expect: 'refused' },
  { name: 'LOAD extension', sql: 'LOAD sqlite', expect: 'refused' },
  { name: 'SET external access', sql: 'SET enable_external_access = true', expect: 'refused' },
  { name: 'PRAGMA', sql: "PRAGMA memory_limit='100GB'", expect: 'refused' },
  { name: 'two statements', sql: 'SELECT 1; DROP VIEW orders', expect: 'refused' },
  {
    name: 'comment hides a second statement',
    sql: 'SELECT 1 /* x */; DROP VIEW orders --',
    expect: 'refused',
  },
  { name: 'read_csv of /etc/passwd', sql: "SELECT * FROM read_csv('/etc/passwd')", expect: 'refused' },
  { name: 'read_text', sql: "SELECT * FROM read_text('/etc/hostname')", expect: 'refused' },
  { name: 'glob the file system', sql: "SELECT * FROM glob('/*')", expect: 'refused' },
  {
    name: 'read_parquet of another path',
    sql: "SELECT * FROM read_parquet('/tmp/*.parquet')",
    expect: 'refused',
  },
  { name: 'getenv', sql: "SELECT getenv('HOME')", expect: 'refused' },
  { name: 'EXPORT DATABASE', sql: "EXPORT DATABASE '/tmp/dump'", expect: 'refused' },
  { name: 'CREATE MACRO', sql: 'CREATE MACRO m() AS 1', expect: 'refused' },
  { name: 'not SQL at all', sql: 'please drop the orders view', expect: 'refused' },
  {
    name: 'endless cross join',
    sql: 'SELECT sum(hash(a.range * b.range)) FROM range(1000000) a, range(1000000) b',
    expect: 'timeout',
  },
];
