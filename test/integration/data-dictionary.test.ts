import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataDictionary, dataDictionaryInput } from '../../src/core/artifacts/data-dictionary.js';
import { CSV_HEADER, dictionaryCsv, dictionaryMarkdown } from '../../src/core/artifacts/dictionary-format.js';
import { qualityChecks } from '../../src/core/artifacts/quality-checks.js';
import type { TablesReport } from '../../src/core/artifacts/table-schema.js';
import { extractCodeBlocks } from '../../src/core/checks/code-blocks.js';
import type { SandboxSession } from '../../src/core/sandbox/sandbox.js';
import { ChildProcessSandbox } from '../../src/sandbox/child-sandbox.js';

/**
 * The data dictionary from a DDL as the real sandbox (DuckDB in its child process) created it: one row per
 * column, names, types and nullability equal to DuckDB's information_schema, keys from its constraints;
 * the CSV read back by DuckDB's own CSV reader equals the rows, with formula cells neutralised.
 */

const DDL = `
CREATE SCHEMA analytics;
CREATE TABLE analytics.customers (
  customer_id BIGINT PRIMARY KEY,
  email VARCHAR NOT NULL UNIQUE,
  country_code VARCHAR(2),
  created_at TIMESTAMP NOT NULL
);
CREATE TABLE analytics.orders (
  order_id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL REFERENCES analytics.customers (customer_id),
  status VARCHAR,
  total_amount DECIMAL(12, 2) CHECK (total_amount >= 0),
  ordered_at TIMESTAMP
);
COMMENT ON COLUMN analytics.orders.ordered_at IS 'When the order was placed (UTC)';
CREATE TEMP TABLE scratch (x INT);
CREATE VIEW analytics.v_orders AS SELECT order_id FROM analytics.orders;
`;

const ANSWER = [
  'Design…',
  '```sql',
  DDL,
  '```',
  '```sql title="quality_checks.sql"',
  '-- orders.total_amount is never negative',
  'SELECT count(*) FROM analytics.orders WHERE total_amount < 0;',
  '-- every order has a known customer',
  'SELECT count(*) FROM analytics.orders o LEFT JOIN analytics.customers c USING (customer_id) WHERE c.customer_id IS NULL;',
  '```',
].join('\n');

const DESCRIPTIONS = dataDictionaryInput.parse({
  tables: [
    {
      table: 'analytics.customers',
      description: 'One row per customer account.',
      columns: [
        { name: 'customer_id', description: 'Surrogate key from the CRM.' },
        { name: 'email', description: '=HYPERLINK("http://evil.example","click")', pii: true },
        { name: 'country_code', description: '+ISO 3166-1 alpha-2, "quoted", with, commas' },
        { name: 'created_at', description: '@SUM(A1)\nsecond line' },
      ],
    },
    {
      table: 'orders',
      description: '-1 row per order',
      columns: [{ name: 'order_id', description: 'Order number.' }, { name: 'status' }],
    },
  ],
});

describe('data dictionary from the sandbox', () => {
  const sandbox = new ChildProcessSandbox();
  let session: SandboxSession;
  let report: TablesReport;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'deb-dictionary-'));
    session = await sandbox.openSession();
    const created = await session.run(DDL);
    expect(created.statements.every((s) => s.ok)).toBe(true);
    if (!session.describeTables) throw new Error('the child sandbox describes its tables');
    report = await session.describeTables();
  });

  afterAll(async () => {
    await session.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has one row per column of every table, equal to DuckDB's information_schema (no temp tables, no views)", async () => {
    const dictionary = buildDataDictionary(
      report.tables,
      DESCRIPTIONS,
      qualityChecks(extractCodeBlocks(ANSWER)),
    );
    const schema = await session.run(
      `SELECT c.table_schema || '.' || c.table_name, c.column_name, c.data_type, c.is_nullable
       FROM information_schema.columns AS c
       JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name)
       WHERE t.table_type = 'BASE TABLE' AND c.table_catalog = current_database()
       ORDER BY c.table_schema, c.table_name, c.ordinal_position`,
    );
    const first = schema.statements[0];
    if (!first?.ok) throw new Error(`information_schema query failed: ${JSON.stringify(schema)}`);
    const expected = first.rows.map(([table, column, type, nullable]) => [
      table,
      column,
      type,
      nullable === 'YES' ? 'yes' : 'no',
    ]);
    const actual = dictionary.rows.map((r) => [
      r.table.includes('.') ? r.table : `main.${r.table}`,
      r.column,
      r.type,
      r.nullable ? 'yes' : 'no',
    ]);
    expect(expected).toHaveLength(9);
    expect(actual).toEqual(expected);
    expect(report.truncated).toBe(false);
  });

  it('carries keys, descriptions (the tool first, COMMENT ON as fallback), PII flags and covering checks', () => {
    const dictionary = buildDataDictionary(
      report.tables,
      DESCRIPTIONS,
      qualityChecks(extractCodeBlocks(ANSWER)),
    );
    const row = (table: string, column: string) =>
      dictionary.rows.find((r) => r.table === table && r.column === column);
    expect(row('analytics.customers', 'customer_id')?.key).toBe('PK');
    expect(row('analytics.customers', 'email')).toMatchObject({ key: 'UNIQUE', pii: true, nullable: false });
    expect(row('analytics.orders', 'customer_id')?.key).toBe('FK → analytics.customers.customer_id');
    expect(row('analytics.orders', 'total_amount')).toMatchObject({
      type: 'DECIMAL(12,2)',
      checks: ['orders.total_amount is never negative'],
    });
    expect(row('analytics.orders', 'customer_id')?.checks).toEqual(['every order has a known customer']);
    expect(row('analytics.orders', 'ordered_at')?.description).toBe('When the order was placed (UTC)');
    expect(dictionary.missing).toEqual([
      'analytics.orders.customer_id',
      'analytics.orders.status',
      'analytics.orders.total_amount',
    ]);
  });

  it('the CSV round-trips through a CSV reader, with formula cells neutralised', async () => {
    const dictionary = buildDataDictionary(
      report.tables,
      DESCRIPTIONS,
      qualityChecks(extractCodeBlocks(ANSWER)),
    );
    const path = join(dir, 'data-dictionary.csv');
    writeFileSync(path, dictionaryCsv(dictionary));
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const read = await connection.runAndReadAll(
      `SELECT * FROM read_csv('${path}', header = true, all_varchar = true, quote = '"', escape = '"', delim = ',', strict_mode = true)`,
    );
    expect(read.columnNames()).toEqual(CSV_HEADER);
    const rows = read.getRows().map((r) => r.map((v) => (v === null ? '' : String(v))));
    connection.closeSync();
    db.closeSync();
    expect(rows).toHaveLength(dictionary.rows.length);
    const neutral = (text: string) => (/^[=+\-@]/.test(text) ? `'${text}` : text);
    expect(rows).toEqual(
      dictionary.rows.map((r) => [
        r.table,
        r.column,
        r.type,
        r.nullable ? 'yes' : 'no',
        r.key,
        neutral(r.description),
        r.pii ? 'yes' : 'no',
        r.checks.join('; '),
      ]),
    );
    const email = rows.find((r) => r[1] === 'email');
    expect(email?.[5]).toBe('\'=HYPERLINK("http://evil.example","click")');
    expect(rows.find((r) => r[1] === 'created_at')?.[5]).toBe("'@SUM(A1)\nsecond line");
    expect(rows.find((r) => r[1] === 'country_code')?.[5]).toBe(
      '\'+ISO 3166-1 alpha-2, "quoted", with, commas',
    );
  });

  it('read with ";" as the separator (a spreadsheet in many locales), no cell starts a formula', async () => {
    const hostile = dataDictionaryInput.parse({
      tables: [
        {
          table: 'analytics.customers',
          columns: [
            { name: 'customer_id', description: 'id; =HYPERLINK("http://evil.example","click")' },
            { name: 'email', description: 'mail;+1;-2;@SUM(A1)' },
            { name: 'country_code', description: 'a, =1+1 and "x;@y"' },
          ],
        },
      ],
    });
    const path = join(dir, 'semicolon.csv');
    writeFileSync(path, dictionaryCsv(buildDataDictionary(report.tables, hostile)));
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const read = await connection.runAndReadAll(
      `SELECT * FROM read_csv('${path}', header = false, all_varchar = true, quote = '"', escape = '"', delim = ';', strict_mode = false, null_padding = true)`,
    );
    const cells = read.getRows().flatMap((r) => r.map((v) => (v === null ? '' : String(v))));
    connection.closeSync();
    db.closeSync();
    expect(cells.join('\n')).toContain('HYPERLINK');
    for (const cell of cells) expect(cell.trimStart(), cell).not.toMatch(/^[=+\-@]/);
  });

  it('the Markdown table shows every column of a small design', () => {
    const dictionary = buildDataDictionary(
      report.tables,
      DESCRIPTIONS,
      qualityChecks(extractCodeBlocks(ANSWER)),
    );
    const markdown = dictionaryMarkdown(dictionary);
    expect(markdown.split('\n').filter((l) => /^\| (?!column|---)/.test(l))).toHaveLength(9);
    expect(markdown).toContain('**analytics.customers** — One row per customer account.');
  });

  it('a design wider than the cap is cut at 1,000 columns and says so', async () => {
    const wide = await sandbox.openSession();
    const ddl = [1, 2, 3]
      .map((t) => `CREATE TABLE w${t} (${Array.from({ length: 400 }, (_, i) => `c${i} INT`).join(', ')});`)
      .join('\n');
    expect((await wide.run(ddl)).statements.every((s) => s.ok)).toBe(true);
    const described = await wide.describeTables?.();
    await wide.close();
    expect(described?.truncated).toBe(true);
    expect(described?.tables.flatMap((t) => t.columns)).toHaveLength(1_000);
  });

  it('describing the tables of a closed session fails as unavailable', async () => {
    const other = await sandbox.openSession();
    await other.close();
    await expect(other.describeTables?.()).rejects.toThrow(/closed/);
  });
});
