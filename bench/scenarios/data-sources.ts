import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { DataSource, TableRef } from '../../src/core/data-sources/data-source.js';
import {
  approxTokens,
  formatDescription,
  formatPlan,
  formatProfiles,
  formatRows,
  formatTableList,
} from '../../src/core/data-sources/format-results.js';
import { maskProfiles, maskRows } from '../../src/core/data-sources/pii-mask.js';
import { createDataSource } from '../../src/datasources/catalog.js';
import { startPgliteServer } from '../../test/support/pglite-server.js';
import { seedPostgresWarehouse, writeWarehouseFiles } from '../../test/support/sample-warehouse.js';
import { type Summary, summarise, table } from '../stats.js';

/**
 * (j) the data tools on the sample warehouse: per tool, latency (p50/p99 over `rounds` calls, masking and
 * formatting included, as the agent's tool pays them) and the size of the text the model receives
 * (characters / 4 ≈ tokens, at the default 2,000-token budget). PostgreSQL is PGlite over the wire (the
 * real `pg` driver; PGlite is slower than a server), DuckDB runs over the warehouse's CSV/Parquet files in
 * its child process. Run alone: `npx tsx bench/scenarios/data-sources.ts`.
 */

export interface ToolFigures {
  ms: Summary;
  tokens: number;
}

export interface DataSourcesBench {
  rounds: number;
  postgres: Record<string, ToolFigures>;
  duckdb: Record<string, ToolFigures>;
  /** The first call of a DuckDB source: its child process starting and globbing the files. */
  duckdbColdStartMs: number;
}

const QUERY = `SELECT c.country, o.status, count(*) AS orders, sum(o.amount) AS revenue
  FROM orders o JOIN customers c ON c.id = o.customer_id
 GROUP BY 1, 2 ORDER BY revenue DESC`;

/** Each tool as the agent calls it: the source call, PII masking, formatting to the budget. */
function tools(source: DataSource, ref: TableRef): Record<string, () => Promise<string>> {
  const name = `${ref.schema}.${ref.table}`;
  return {
    list: async () => formatTableList(await source.listTables()),
    describe: async () => formatDescription(await source.describeTable(ref)),
    sample: async () => formatRows(maskRows(await source.sampleRows(ref, 20), ref.table)),
    profile: async () => formatProfiles(name, maskProfiles(await source.profileColumns(ref), ref.table)),
    explain: async () => formatPlan(await source.explain(QUERY)),
    query: async () => formatRows(maskRows(await source.query(QUERY))),
  };
}

async function measure(
  source: DataSource,
  ref: TableRef,
  rounds: number,
): Promise<Record<string, ToolFigures>> {
  const figures: Record<string, ToolFigures> = {};
  for (const [tool, call] of Object.entries(tools(source, ref))) {
    const text = await call(); // warm-up (and the text whose size is reported)
    const ms: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      await call();
      ms.push(performance.now() - started);
    }
    figures[tool] = { ms: summarise(ms), tokens: approxTokens(text) };
  }
  return figures;
}

export async function dataSourcesScenario(rounds = 50): Promise<DataSourcesBench> {
  const server = await startPgliteServer();
  const dir = await mkdtemp(join(tmpdir(), 'bench-lake-'));
  const limits = { statementTimeoutMs: 10_000, maxRows: 200, allowAnalyze: false };
  let postgres: DataSource | undefined;
  let duckdb: DataSource | undefined;
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await seedPostgresWarehouse(admin);
    await admin.end();
    postgres = createDataSource({
      name: 'warehouse',
      kind: 'postgres',
      url: server.url,
      maxConnections: 2,
      ...limits,
    });
    const pgFigures = await measure(postgres, { schema: 'public', table: 'customers' }, rounds);

    const { paths } = await writeWarehouseFiles(dir);
    duckdb = createDataSource({ name: 'lake', kind: 'duckdb', paths, memoryLimitMb: 256, ...limits });
    const started = performance.now();
    await duckdb.listTables();
    const duckdbColdStartMs = Math.round(performance.now() - started);
    const duckFigures = await measure(duckdb, { schema: 'main', table: 'customers' }, rounds);
    return { rounds, postgres: pgFigures, duckdb: duckFigures, duckdbColdStartMs };
  } finally {
    await postgres?.close();
    await duckdb?.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export function printDataSourcesBench(r: DataSourcesBench): void {
  console.log(
    `(j) data tools on the sample warehouse (customers with PII, orders, events), ${r.rounds} calls per tool, masking and formatting included (ms; tokens ≈ chars/4 of the text the model gets)`,
  );
  const rows = (engine: string, figures: Record<string, ToolFigures>) =>
    Object.entries(figures).map(([tool, f]) => ({
      engine,
      tool,
      p50: f.ms.p50,
      p99: f.ms.p99,
      max: f.ms.max,
      tokens: f.tokens,
    }));
  console.log(table([...rows('postgres (PGlite)', r.postgres), ...rows('duckdb (files)', r.duckdb)]));
  console.log(`DuckDB source cold start (child process, views over the files): ${r.duckdbColdStartMs} ms\n`);
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) printDataSourcesBench(await dataSourcesScenario());
