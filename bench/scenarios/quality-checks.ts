import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DataSource, DataSourceCatalog } from '../../src/core/data-sources/data-source.js';
import { parseDataSources } from '../../src/core/data-sources/source-config.js';
import { runDueChecks } from '../../src/core/quality-monitor/check-runner.js';
import { buildDataSourceCatalog } from '../../src/datasources/catalog.js';
import { openDatabase } from '../../src/store/db.js';
import { SqliteQualityCheckStore } from '../../src/store/quality-check-repo.js';
import { startPgliteServer } from '../../test/support/pglite-server.js';
import { seedPostgresWarehouse } from '../../test/support/sample-warehouse.js';
import { percentile, round } from '../stats.js';

/**
 * (k) scheduled data-quality checks (issue 17): 1,000 adopted checks on one source, all due in the same
 * minute (hourly at :00), run by one pass of the real runner against the sample warehouse (PostgreSQL as
 * PGlite over the wire, the real `pg` driver and read-only session). Schedule lag = from the slot to the
 * run's result; the baseline runs the same 1,000 queries one after another straight on the source, in
 * the same process. "Connections" = queries the source had in flight at once (its pool holds at most 2).
 * Run alone: `npx tsx bench/scenarios/quality-checks.ts`.
 */

const CHECKS = 1_000;
const QUERIES = [
  'select id from orders where amount < 0',
  "select count(*) from orders where status = 'lost'",
  'select id from customers where email is null',
  'select count(*) from events where occurred_at > now()',
] as const;

export interface QualityChecksBench {
  checks: number;
  lagMs: { p50: number; p99: number; max: number };
  passMs: number;
  baselineMs: number;
  peakInFlight: number;
  runs: number;
}

export async function qualityChecksScenario(): Promise<QualityChecksBench> {
  const warehouse = await startPgliteServer();
  const dir = mkdtempSync(join(tmpdir(), 'deb-bench-checks-'));
  const client = new pg.Client({ connectionString: warehouse.url });
  await client.connect();
  await seedPostgresWarehouse(client);
  await client.end();
  const parsed = parseDataSources(
    JSON.stringify([{ name: 'warehouse', kind: 'postgres', url: warehouse.url }]),
  );
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const catalog = buildDataSourceCatalog(parsed.sources);
  const database = openDatabase(join(dir, 'bench.db'));
  try {
    const source = catalog.get('warehouse') as DataSource;
    // Warm the pool and the parser, then the baseline: the same queries, one at a time, no scheduler.
    await source.query(QUERIES[0]);
    const baselineStart = performance.now();
    for (let i = 0; i < CHECKS; i += 1) await source.query(QUERIES[i % QUERIES.length] as string);
    const baselineMs = performance.now() - baselineStart;

    const store = new SqliteQualityCheckStore(database.sqlite);
    await adoptChecks(database.sqlite, store);
    const slot = new Date('2026-11-30T09:00:00Z');
    const lags: number[] = [];
    let inFlight = 0;
    let peakInFlight = 0;
    const passStart = performance.now();
    const measured: DataSource = {
      ...source,
      query: async (sql) => {
        inFlight += 1;
        peakInFlight = Math.max(peakInFlight, inFlight);
        try {
          return await source.query(sql);
        } finally {
          inFlight -= 1;
          lags.push(performance.now() - passStart);
        }
      },
    };
    const sources: Pick<DataSourceCatalog, 'get'> = {
      get: (name) => (name === 'warehouse' ? measured : undefined),
    };
    const quiet = { info() {}, warn() {}, error() {}, debug() {}, child: () => quiet };
    const { ran } = await runDueChecks(
      {
        qualityChecks: store,
        dataSources: sources,
        channelSources: { sourceOf: async () => ({ sourceName: 'warehouse', setBy: 'U1', setAt: 0 }) },
        collaboration: { effectiveOwners: async () => new Map() },
        slack: {
          postText: async () => '1.1',
          postBlocks: async () => '1.1',
          findPosted: async () => undefined,
        },
        logger: quiet as never,
        checkClock: () => new Date(),
      },
      slot,
    );
    const passMs = performance.now() - passStart;
    return {
      checks: CHECKS,
      lagMs: {
        p50: round(percentile(lags, 50)),
        p99: round(percentile(lags, 99)),
        max: round(Math.max(...lags)),
      },
      passMs: round(passMs),
      baselineMs: round(baselineMs),
      peakInFlight,
      runs: ran,
    };
  } finally {
    database.sqlite.close();
    await catalog.closeAll();
    await warehouse.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 1,000 checks in ten channels of one task, hourly at :00, adopted just before 09:00. */
async function adoptChecks(
  sqlite: ReturnType<typeof openDatabase>['sqlite'],
  store: SqliteQualityCheckStore,
): Promise<void> {
  const taskId = Number(
    sqlite
      .prepare(
        `insert into tasks (team_id, channel_id, thread_ts, requester_id, source, text, title)
         values ('T1', 'C1', '1.1', 'U1', 'command', 'checks', 'checks')`,
      )
      .run().lastInsertRowid,
  );
  for (let channel = 0; channel < 10; channel += 1) {
    await store.adopt({
      teamId: 'T1',
      channelId: `C${channel}`,
      taskId,
      threadTs: '1.1',
      sourceName: 'warehouse',
      schedule: { kind: 'hourly', minute: 0 },
      timeZone: 'UTC',
      adoptedBy: 'U1',
      adoptedAt: new Date('2026-11-30T08:59:00Z'),
      nextSlotAt: new Date('2026-11-30T09:00:00Z'),
      limits: { perChannel: CHECKS, perTeam: CHECKS },
      checks: Array.from({ length: CHECKS / 10 }, (_, i) => ({
        name: `check_${channel}_${i}`,
        sql: QUERIES[i % QUERIES.length] as string,
        expectation: i % 2 === 0 ? { kind: 'no_rows' as const } : { kind: 'value_between' as const, max: 0 },
        severity: 'warning' as const,
      })),
    });
  }
}

export function printQualityChecksBench(result: QualityChecksBench): void {
  console.log(
    `(k) scheduled checks: ${result.checks} checks on one source due in the same minute, one runner pass`,
  );
  console.log(
    `runs ${result.runs}; schedule lag (slot → result) p50 ${result.lagMs.p50} ms, p99 ${result.lagMs.p99} ms, max ${result.lagMs.max} ms (plus up to one 30 s tick to notice the slot); whole pass ${result.passMs} ms vs the same queries one by one ${result.baselineMs} ms (${round(result.passMs / result.baselineMs, 2)}×); source queries in flight at once: at most ${result.peakInFlight} (pool max 2)\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printQualityChecksBench(await qualityChecksScenario());
  process.exit(0);
}
