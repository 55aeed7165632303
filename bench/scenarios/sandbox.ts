import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBot } from '../bot-process.js';
import type { Summary } from '../stats.js';

/**
 * (g) the SQL sandbox and the block checker, as the shipped code runs them (dist/, DuckDB in its child
 * process). Measured in a separate "host" process standing in for the bot, so its resident memory is not
 * mixed with the other scenarios': at idle, while a session is open, and 30 s after the last session
 * closed (the child has ended by then: idle timeout 20 s). Run alone: `npx tsx bench/scenarios/sandbox.ts`.
 */

export interface SandboxBench {
  coldStartMs: number;
  firstCallMs: Summary;
  callMs: Summary;
  checkAnswerMs: Summary;
  blocksPerAnswer: number;
  checkStatuses: string;
  hostRssMb: { idle: number; during: number; after30s: number };
  childRssMb: number;
  childEndedAfterIdle: boolean;
}

const root = resolve(fileURLToPath(import.meta.url), '../../..');

/** Builds dist/ (unless the caller just did) and runs the host process. */
export async function sandboxScenario(
  options: { build?: boolean; calls?: number; checks?: number } = {},
): Promise<SandboxBench> {
  const { build = true, calls = 60, checks = 20 } = options;
  if (build) buildBot();
  const script = join(root, 'bench', 'sandbox-host.ts');
  const output = await new Promise<string>((resolvePromise, reject) => {
    const proc = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', script, String(calls), String(checks)],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let text = '';
    proc.stdout.on('data', (chunk) => {
      text += String(chunk);
    });
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolvePromise(text) : reject(new Error(`sandbox host exited ${code}`)),
    );
  });
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as SandboxBench;
}

export function printSandboxBench(r: SandboxBench): void {
  console.log('(g) SQL sandbox (DuckDB in a child process) and the block checker (ms)');
  console.log(
    `tool call, create + insert 500 rows + a check query, first call of an answer: p50 ${r.firstCallMs.p50}, p99 ${r.firstCallMs.p99}; a later call: p50 ${r.callMs.p50}, p99 ${r.callMs.p99}; child cold start ${r.coldStartMs}`,
  );
  console.log(
    `checks per answer (${r.blocksPerAnswer} blocks: ${r.checkStatuses}): p50 ${r.checkAnswerMs.p50}, p99 ${r.checkAnswerMs.p99}`,
  );
  const back = Math.round((r.hostRssMb.after30s - r.hostRssMb.idle) * 10) / 10;
  console.log(
    `bot-side RSS idle ${r.hostRssMb.idle} MB, during ${r.hostRssMb.during} MB, 30 s after ${r.hostRssMb.after30s} MB (${back >= 0 ? '+' : ''}${back} MB, target ≤ +10); sandbox child peak ${r.childRssMb} MB, ended when idle: ${r.childEndedAfterIdle ? 'yes' : 'NO'}\n`,
  );
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) printSandboxBench(await sandboxScenario());
