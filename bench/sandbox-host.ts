import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SandboxBench } from './scenarios/sandbox.js';
import { summarise } from './stats.js';

/**
 * The stand-in for the bot in bench (g): a process that loads only the shipped sandbox and checker code
 * (dist/) and nothing else, so its resident memory shows what the sandbox costs the bot. Prints one JSON
 * line. Started by bench/scenarios/sandbox.ts as `node --expose-gc --import tsx bench/sandbox-host.ts`.
 */

const root = resolve(fileURLToPath(import.meta.url), '../..');

/** One tool call as an agent makes it: a table, 500 synthetic rows, and a data-quality check. */
const TOOL_SQL = `create table orders (id bigint primary key, customer_id int not null, amount decimal(12,2), created_at timestamp);
insert into orders select range, range % 97, round(random() * 500, 2), timestamp '2024-01-01' + to_minutes(range::int) from range(500);
select count(*) filter (where amount is null) as null_amounts, count(*) filter (where amount < 0) as negative, count(*) as total from orders;`;

const fence = (info: string, body: string) => `\`\`\`${info}\n${body}\n\`\`\``;

/** A typical answer: DDL, a transformation, quality checks, an orchestration YAML, a contract JSON, Python. */
const SAMPLE_ANSWER = [
  '## Data Engineering Solution: daily revenue mart',
  'Dialect: PostgreSQL',
  '### Code/Configuration',
  fence(
    'sql',
    'create table raw_orders (id bigint primary key, customer_id int not null, amount numeric(12,2), created_at timestamp not null);',
  ),
  fence(
    'sql',
    "insert into raw_orders select g, g % 97, round((random() * 500)::numeric, 2), timestamp '2024-01-01' + g * interval '1 minute' from generate_series(1, 500) as s(g);\ncreate table daily_revenue as select date_trunc('day', created_at) as day, sum(amount) as revenue, count(*) as orders from raw_orders group by 1;",
  ),
  fence(
    'sql',
    'select count(*) as failing from raw_orders where amount is null or amount < 0;\nselect count(*) as failing from daily_revenue where revenue is null;',
  ),
  fence('sql', 'alter table raw_orders enable row level security;'),
  fence(
    'yaml',
    'dag:\n  id: daily_revenue\n  schedule: "0 2 * * *"\n  tasks:\n    - id: load\n    - id: check\n      depends_on: [load]\n',
  ),
  fence('json', '{\n  "name": "orders",\n  "fields": [{"name": "id", "type": "long"}]\n}'),
  fence('python', 'def main():\n    pass'),
].join('\n');

function childRssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

const rssMb = () => Math.round((process.memoryUsage.rss() / 1_048_576) * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * RSS after a full garbage collection and a short pause, so the three figures compare like with like
 * (the host runs under tsx, whose start-up garbage would otherwise dominate the idle figure).
 */
async function settledRssMb(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await sleep(500);
  gc?.();
  await sleep(500);
  return rssMb();
}

/** Runs inside the host process; prints the figures as one JSON line. */
export async function host(calls: number, checks: number): Promise<SandboxBench> {
  const dist = (path: string) => import(pathToFileURL(join(root, 'dist', path)).href);
  const { ChildProcessSandbox } = await dist('sandbox/child-sandbox.js');
  const { answerSandbox } = await dist('core/sandbox/answer-sandbox.js');
  const { runSqlTool } = await dist('core/sandbox/run-sql-tool.js');
  const { checkAnswerBlocks } = await dist('core/checks/check-blocks.js');
  const sandbox = new ChildProcessSandbox();
  await sleep(3_000);
  const idle = await settledRssMb();

  let t = performance.now();
  const warm = await sandbox.openSession();
  const coldStartMs = performance.now() - t;
  await warm.close();

  let during = 0;
  let child = 0;
  const first: number[] = [];
  const later: number[] = [];
  for (let i = 0; i < calls; i += 1) {
    const ctx = { sandbox: answerSandbox(sandbox) };
    t = performance.now();
    const out = await runSqlTool.run({ sql: TOOL_SQL }, ctx);
    first.push(performance.now() - t);
    if (out.isError) throw new Error(out.text);
    t = performance.now();
    await runSqlTool.run(
      { sql: 'select customer_id, sum(amount) from orders group by 1 order by 2 desc limit 5' },
      ctx,
    );
    later.push(performance.now() - t);
    during = Math.max(during, rssMb());
    child = Math.max(child, childRssMb(sandbox.childPid));
    if (i === calls - 1) during = Math.max(during, await settledRssMb());
    await ctx.sandbox.close();
  }

  const checkTimes: number[] = [];
  let statuses = '';
  let blocks = 0;
  for (let i = 0; i < checks; i += 1) {
    t = performance.now();
    const result: { status: string }[] = await checkAnswerBlocks(SAMPLE_ANSWER, {
      sandbox,
      parsers: sandbox,
    });
    checkTimes.push(performance.now() - t);
    blocks = result.length;
    statuses = result.map((c) => c.status).join(', ');
    during = Math.max(during, rssMb());
    child = Math.max(child, childRssMb(sandbox.childPid));
  }

  await sleep(29_000);
  const after30s = await settledRssMb();
  const childEndedAfterIdle = sandbox.childPid === undefined;
  await sandbox.stop();
  return {
    coldStartMs: Math.round(coldStartMs),
    firstCallMs: summarise(first),
    callMs: summarise(later),
    checkAnswerMs: summarise(checkTimes),
    blocksPerAnswer: blocks,
    checkStatuses: statuses,
    hostRssMb: { idle, during, after30s },
    childRssMb: child,
    childEndedAfterIdle,
  };
}

const result = await host(Number(process.argv[2] ?? 60), Number(process.argv[3] ?? 20));
process.stdout.write(`${JSON.stringify(result)}\n`);
