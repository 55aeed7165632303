import { describe, expect, it } from 'vitest';
import type { QueryRows, TableDescription } from '../../src/core/data-sources/data-source.js';
import {
  approxTokens,
  formatDescription,
  formatPlan,
  formatProfiles,
  formatRows,
  formatTableList,
} from '../../src/core/data-sources/format-results.js';

const manyRows = (n: number): QueryRows => ({
  columns: ['id', 'status', 'note'],
  rows: Array.from({ length: n }, (_, i) => [
    i + 1,
    i % 2 ? 'paid' : 'shipped',
    i === 0 ? 'line one\nline | two' : null,
  ]),
  truncated: false,
});

describe('data tool results within a budget', () => {
  it('shows small results whole, one line per row, cells on one line', () => {
    const text = formatRows(manyRows(3));
    expect(text).toBe(
      [
        '3 rows:',
        'id | status | note',
        '1 | shipped | line one\\nline \\| two',
        '2 | paid | NULL',
        '3 | shipped | NULL',
      ].join('\n'),
    );
  });

  it.each([200, 1_000, 8_000])(
    'cuts 5,000 rows to %i characters and says how many rows are not shown',
    (budget) => {
      const text = formatRows({ ...manyRows(5_000), truncated: true, maskedColumns: ['email'] }, budget);
      expect(text.length).toBeLessThanOrEqual(budget);
      const shown = text.split('\n').filter((l) => /^\d+ \| /.test(l)).length;
      expect(text).toContain(`… ${(5_000 - shown).toLocaleString('en-US')} more rows not shown`);
      expect(text).toContain('more rows exist beyond these 5000');
      expect(text).toContain('(PII masked: email)');
    },
  );

  it('cuts a single huge cell instead of dropping everything', () => {
    const text = formatRows({ columns: ['blob'], rows: [['x'.repeat(50_000)]], truncated: false }, 500);
    expect(text.length).toBeLessThanOrEqual(500);
    expect(text).toContain('xxxx');
  });

  it('lists tables and cuts long lists', () => {
    const tables = Array.from({ length: 400 }, (_, i) => ({
      schema: 'public',
      table: `t_${i}`,
      kind: 'table' as const,
      rowEstimate: i * 1000,
    }));
    const text = formatTableList({ tables, truncated: true }, 1_000);
    expect(text.length).toBeLessThanOrEqual(1_000);
    expect(text).toMatch(/^400 tables \(more exist: filter by schema\):\npublic\.t_0 \(table, ~0 rows\)/);
    expect(text).toMatch(/… \d+ more tables not shown/);
  });

  it('describes a table with keys, references and indexes', () => {
    const description: TableDescription = {
      schema: 'public',
      table: 'orders',
      kind: 'table',
      columns: [
        { name: 'id', type: 'bigint', nullable: false },
        { name: 'customer_id', type: 'integer', nullable: false },
        { name: 'coupon', type: 'text', nullable: true, comment: 'marketing code' },
      ],
      primaryKey: ['id'],
      foreignKeys: [
        { columns: ['customer_id'], references: { schema: 'public', table: 'customers', columns: ['id'] } },
      ],
      indexes: ['CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)'],
      rowEstimate: 600,
      sizeBytes: 98_304,
    };
    expect(formatDescription(description)).toBe(
      [
        'public.orders (table, ~600 rows, 96 kB)',
        '3 columns:',
        '  id bigint not null [PK]',
        '  customer_id integer not null → public.customers(id)',
        '  coupon text -- marketing code',
        'primary key: (id)',
        'indexes:\n  CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)',
      ].join('\n'),
    );
    const wide = {
      ...description,
      columns: Array.from({ length: 300 }, (_, i) => ({ name: `c${i}`, type: 'text', nullable: true })),
    };
    const cut = formatDescription(wide, 800);
    expect(cut.length).toBeLessThanOrEqual(800);
    expect(cut).toMatch(/… \d+ more columns not shown\nprimary key: \(id\)/);
  });

  it('profiles and plans', () => {
    const text = formatProfiles('public.orders', [
      {
        column: 'coupon',
        type: 'text',
        rows: 600,
        nullShare: 0.8,
        distinct: 3,
        min: 'SPRING',
        max: 'WELCOME10',
        topValues: [{ value: 'VIP', count: 45 }],
      },
    ]);
    expect(text).toBe(
      "profile of public.orders (600 rows; aggregates only):\ncoupon text: 80.0% null, 3 distinct, min 'SPRING', max 'WELCOME10', top: 'VIP' ×45",
    );
    const plan = formatPlan(
      { text: Array.from({ length: 500 }, (_, i) => `  ->  Step ${i}`).join('\n'), analyzed: false },
      600,
    );
    expect(plan.length).toBeLessThanOrEqual(600);
    expect(plan).toMatch(/^EXPLAIN \(estimated plan; the query did not run\):/);
    expect(plan).toMatch(/… \d+ more plan lines not shown$/);
    expect(approxTokens(plan)).toBe(Math.ceil(plan.length / 4));
  });
});
