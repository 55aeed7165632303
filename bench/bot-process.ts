import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_SECRETS } from '../test/support/harness.js';

const root = resolve(fileURLToPath(import.meta.url), '../..');

/** Builds dist/ as `npm start` does, so benchmarks measure the shipped code. */
export function buildBot(): void {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      stdio: 'inherit',
    },
  );
}

export interface BotProcess {
  child: ChildProcess;
  url: string;
  /** Resident memory now, and its peak so far (VmRSS / VmHWM), in MB. */
  memoryMb(): { rss: number; peak: number };
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill: no drain, nothing handed back. Resolves once it exited. */
  kill(): Promise<void>;
}

/** Runs the built bot (`node dist/main.js`) against the given fakes, and waits until it is healthy. */
export async function startBotProcess(options: {
  cwd: string;
  slackApiUrl: string;
  anthropicUrl: string;
  env?: Record<string, string>;
  /** The port to listen on (a restart on the same port); a random one by default. */
  port?: number;
  /** Where its stdout and stderr go (appended); nowhere by default. */
  logFile?: string;
  /** How long to wait for /healthz to answer 200 (default 20 s). */
  healthTimeoutMs?: number;
}): Promise<BotProcess> {
  const port = options.port ?? 20_000 + Math.floor(Math.random() * 20_000);
  const log = options.logFile ? openSync(options.logFile, 'a') : undefined;
  const child = spawn(process.execPath, [join(root, 'dist/main.js')], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
      SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
      SLACK_API_URL: options.slackApiUrl,
      ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
      ANTHROPIC_BASE_URL: options.anthropicUrl,
      DATABASE_PATH: join(options.cwd, 'bot.db'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: log === undefined ? 'ignore' : ['ignore', log, log],
  });
  if (log !== undefined) closeSync(log);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(`${url}/healthz`, options.healthTimeoutMs ?? 20_000, exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    url,
    memoryMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const mb = (field: string) =>
        Math.round((Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024) * 10) / 10;
      return { rss: mb('VmRSS'), peak: mb('VmHWM') };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

async function waitHealthy(url: string, timeoutMs: number, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error('the bot exited before it became healthy');
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the bot did not become healthy');
}
