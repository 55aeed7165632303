import { describe, expect, it } from 'vitest';
import type { DataSource, TableDescription } from '../../src/core/data-sources/data-source.js';
import { maskPersonalRows, PersonalDataExposure } from '../../src/core/data-sources/pii-exposure.js';
import { postgresStatementTables } from '../../src/datasources/referenced-tables.js';

const column = (name: string) => ({ name, type: 'text', nullable: true });

/** A source with customers (personal columns) and orders (none), counting its catalog calls. */
function source(kind: 'postgres' | 'duckdb' = 'postgres') {
  const calls = { list: 0, describe: 0 };
  const tables: Record<string, string[]> = {
    customers: ['id', 'full_name', 'email'],
    orders: ['id', 'amount', 'status'],
  };
  const stub = {
    name: 'w',
    kind,
    allowsAnalyze: false,
    listTables: async () => {
      calls.list++;
      return {
        tables: Object.keys(tables).map((table) => ({ schema: 'public', table, kind: 'table' as const })),
        truncated: false,
      };
    },
    describeTable: async ({ schema, table }: { schema: string; table: string }) => {
      calls.describe++;
      return { schema, table, columns: (tables[table] ?? []).map(column) } as unknown as TableDescription;
    },
  } as unknown as DataSource;
  return { stub, calls };
}

describe('which tables a query reads, for masking', () => {
  it('finds relations the way PostgreSQL parses them, and personal tables among them', async () => {
    const exposure = new PersonalDataExposure(postgresStatementTables);
    const { stub, calls } = source();
    const read = (sql: string) => exposure.personalTablesRead(stub, sql);
    expect(await read('select count(*) from orders')).toEqual([]);
    expect(await read('select 1')).toEqual([]);
    expect(await read('select * from U&"cust\\006fmers"')).toEqual([
      { table: 'public.customers', columns: ['full_name', 'email'] },
    ]);
    expect(await read('with c as (select 1) select * from c')).toEqual([]);
    // Catalog views are not known tables: they may hold values (pg_stats.most_common_vals), so they count.
    expect(await read("select most_common_vals::text from pg_stats where tablename = 'x'")).toEqual([
      { table: 'pg_stats', columns: [] },
    ]);
    expect(calls).toEqual({ list: 1, describe: 2 });
  });

  it('uses known table names in the text where no parser is wired (DuckDB)', async () => {
    const exposure = new PersonalDataExposure();
    const { stub } = source('duckdb');
    expect(await exposure.personalTablesRead(stub, 'SELECT * FROM "Customers"')).toHaveLength(1);
    expect(await exposure.personalTablesRead(stub, 'SELECT * FROM orders_customers_view')).toEqual([]);
  });

  it('masks every non-numeric column whole and long numbers, keeps counts and averages', () => {
    const masked = maskPersonalRows({
      columns: ['n', 'mean', 'who', 'digits', 'ok'],
      rows: [
        ['60', '254.5783333333333333', 'Ada', '4915112345678', true],
        [3, 1.5, null, 491511234567, null],
      ],
      truncated: false,
    });
    expect(masked.rows).toEqual([
      ['60', '254.5783333333333333', '<masked>', '<masked number>', true],
      [3, 1.5, null, '<masked number>', null],
    ]);
    expect(masked.maskedColumns).toEqual(['who']);
  });
});
