import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type pg from 'pg';
import { rng } from './seeded-random.js';

/**
 * Why this file exists: the small sample warehouse every data-source test and the bench use: `customers`
 * (with PII: names, emails, phones, Luhn-valid card numbers), `orders` and `events`, the same rows in a
 * PostgreSQL (PGlite or a real server, through a `pg` client) and as CSV/Parquet files for DuckDB. The
 * rows are generated from a fixed seed, so counts and values are the same on every run.
 */

export const WAREHOUSE_COUNTS = { customers: 60, orders: 600, events: 1500 } as const;

export interface Customer {
  id: number;
  full_name: string;
  email: string;
  phone: string;
  card_number: string;
  country: string;
  created_at: string;
}
export interface Order {
  id: number;
  customer_id: number;
  order_number: string;
  amount: string;
  status: string;
  coupon: string | null;
  ordered_at: string;
}
export interface WarehouseEvent {
  id: number;
  customer_id: number | null;
  kind: string;
  properties: string;
  occurred_at: string;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus'];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Hamilton',
  'Thompson',
  'Perlman',
];
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'NL', 'ES'];
const STATUSES = ['paid', 'shipped', 'refunded', 'pending'];
const KINDS = ['page_view', 'add_to_cart', 'checkout', 'login'];

/** A Luhn-valid 16-digit card number starting with 4 (a Visa-like test number). */
export function luhnCard(random: () => number): string {
  const digits = [4, ...Array.from({ length: 14 }, () => Math.floor(random() * 10))];
  let sum = 0;
  // Double every second digit counting from the right, the check digit being position 1.
  for (let i = 0; i < digits.length; i++) {
    let d = digits[digits.length - 1 - i] as number;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return [...digits, (10 - (sum % 10)) % 10].join('');
}

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;
const isoAt = (base: number, offsetMinutes: number) => new Date(base + offsetMinutes * 60_000).toISOString();
const BASE = Date.UTC(2026, 0, 1);

export function warehouseRows(): { customers: Customer[]; orders: Order[]; events: WarehouseEvent[] } {
  const random = rng(15);
  const customers = Array.from({ length: WAREHOUSE_COUNTS.customers }, (_, i): Customer => {
    const first = pick(random, FIRST);
    const last = pick(random, LAST);
    const card = luhnCard(random);
    return {
      id: i + 1,
      full_name: `${first} ${last}`,
      email: `${first}.${last}${i}@example.com`.toLowerCase(),
      phone: `+49 151 ${String(1_000_000 + Math.floor(random() * 8_999_999))}`,
      // Every third card is written in groups of four, as people type them.
      card_number: i % 3 === 0 ? (card.match(/.{4}/g) ?? []).join(' ') : card,
      country: pick(random, COUNTRIES),
      created_at: isoAt(BASE, i * 600),
    };
  });
  const orders = Array.from(
    { length: WAREHOUSE_COUNTS.orders },
    (_, i): Order => ({
      id: i + 1,
      customer_id: 1 + Math.floor(random() * WAREHOUSE_COUNTS.customers),
      order_number: `ORD-2026-${String(i + 1).padStart(6, '0')}`,
      amount: (5 + Math.floor(random() * 50_000) / 100).toFixed(2),
      status: pick(random, STATUSES),
      coupon: random() < 0.8 ? null : pick(random, ['WELCOME10', 'SPRING', 'VIP']),
      ordered_at: isoAt(BASE, 30_000 + i * 45),
    }),
  );
  const events = Array.from(
    { length: WAREHOUSE_COUNTS.events },
    (_, i): WarehouseEvent => ({
      id: i + 1,
      customer_id: random() < 0.2 ? null : 1 + Math.floor(random() * WAREHOUSE_COUNTS.customers),
      kind: pick(random, KINDS),
      properties: JSON.stringify({ path: `/p/${i % 37}`, ms: Math.floor(random() * 900) }),
      occurred_at: isoAt(BASE, 30_000 + i * 17),
    }),
  );
  return { customers, orders, events };
}

const DDL = `
CREATE TABLE customers (
  id integer PRIMARY KEY,
  full_name text NOT NULL,
  email text NOT NULL UNIQUE,
  phone text,
  card_number text,
  country char(2) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customers IS 'People who bought something; PII.';
COMMENT ON COLUMN customers.email IS 'Login e-mail';
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers(id),
  order_number text NOT NULL UNIQUE,
  amount numeric(10,2) NOT NULL,
  status text NOT NULL,
  coupon text,
  ordered_at timestamptz NOT NULL
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_ordered_at_idx ON orders (ordered_at);
CREATE TABLE events (
  id bigint PRIMARY KEY,
  customer_id integer REFERENCES customers(id),
  kind text NOT NULL,
  properties jsonb NOT NULL,
  occurred_at timestamptz NOT NULL
);
CREATE SEQUENCE invoice_seq;
`;

async function insertAll(client: pg.Client, table: string, rows: object[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] as object);
  for (let start = 0; start < rows.length; start += 500) {
    const chunk = rows.slice(start, start + 500);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const cells = columns.map((c) => {
        values.push((row as Record<string, unknown>)[c]);
        return `$${values.length}`;
      });
      return `(${cells.join(', ')})`;
    });
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
  }
}

/** Drops the warehouse's tables and sequence (a real server keeps them between runs). */
export async function dropPostgresWarehouse(client: pg.Client): Promise<void> {
  await client.query(
    'DROP TABLE IF EXISTS events, orders, customers CASCADE; DROP SEQUENCE IF EXISTS invoice_seq',
  );
}

/** Creates and fills the three tables (and a sequence) in the client's database, then ANALYZEs them. */
export async function seedPostgresWarehouse(client: pg.Client): Promise<void> {
  const { customers, orders, events } = warehouseRows();
  await client.query(DDL);
  await insertAll(client, 'customers', customers);
  await insertAll(client, 'orders', orders);
  await insertAll(client, 'events', events);
  await client.query('ANALYZE');
}

const CHECKSUM_TABLES = ['customers', 'orders', 'events'] as const;

/**
 * One string that changes when any row, table or sequence of the warehouse changes: md5 of each table's
 * rows in id order, the list of relations outside the system schemas, and the sequence's state.
 */
export async function warehouseChecksum(client: pg.Client): Promise<string> {
  const parts: string[] = [];
  for (const table of CHECKSUM_TABLES) {
    try {
      const r = await client.query(
        `SELECT count(*)::text AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) AS h FROM ${table} t`,
      );
      parts.push(`${table}:${r.rows[0].n}:${r.rows[0].h}`);
    } catch (error) {
      parts.push(`${table}:error:${(error as Error).message}`);
    }
  }
  const relations = await client.query(
    `SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' ORDER BY n.nspname, c.relname) AS r
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
  );
  parts.push(`relations:${relations.rows[0].r}`);
  const sequence = await client.query('SELECT last_value::text AS v, is_called FROM invoice_seq');
  parts.push(`invoice_seq:${sequence.rows[0].v}:${sequence.rows[0].is_called}`);
  return parts.join('|');
}

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

const toCsv = (rows: object[]): string => {
  const columns = Object.keys(rows[0] as object);
  const lines = rows.map((row) => columns.map((c) => csvCell((row as Record<string, unknown>)[c])).join(','));
  return `${[columns.join(','), ...lines].join('\n')}\n`;
};

export interface WarehouseFiles {
  /** For a DuckDB source's `paths`: view name → file or glob. */
  paths: { customers: string; orders: string; events: string };
}

/**
 * Writes the warehouse as files under `dir`: customers.csv, orders/part-0.parquet + part-1.parquet (a glob)
 * and events.parquet. DuckDB (with file access, in this process) turns the CSVs into Parquet.
 */
export async function writeWarehouseFiles(dir: string): Promise<WarehouseFiles> {
  const { customers, orders, events } = warehouseRows();
  await mkdir(join(dir, 'orders'), { recursive: true });
  await writeFile(join(dir, 'customers.csv'), toCsv(customers));
  await writeFile(join(dir, 'orders.csv.tmp'), toCsv(orders));
  await writeFile(join(dir, 'events.csv.tmp'), toCsv(events));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const q = (p: string) => `'${p.replaceAll("'", "''")}'`;
  const half = Math.floor(orders.length / 2);
  const ordersCsv = `read_csv(${q(join(dir, 'orders.csv.tmp'))}, types={'amount': 'DECIMAL(10,2)', 'coupon': 'VARCHAR'})`;
  await connection.run(
    `COPY (SELECT * FROM ${ordersCsv} WHERE id <= ${half}) TO ${q(join(dir, 'orders', 'part-0.parquet'))} (FORMAT parquet)`,
  );
  await connection.run(
    `COPY (SELECT * FROM ${ordersCsv} WHERE id > ${half}) TO ${q(join(dir, 'orders', 'part-1.parquet'))} (FORMAT parquet)`,
  );
  await connection.run(
    `COPY (SELECT * FROM read_csv(${q(join(dir, 'events.csv.tmp'))})) TO ${q(join(dir, 'events.parquet'))} (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  return {
    paths: {
      customers: join(dir, 'customers.csv'),
      orders: join(dir, 'orders', '*.parquet'),
      events: join(dir, 'events.parquet'),
    },
  };
}
