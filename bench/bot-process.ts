import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
}

/** Runs the built bot (`node dist/main.js`) against the given fakes, and waits until it is healthy. */
export async function startBotProcess(options: {
  cwd: string;
  slackApiUrl: string;
  anthropicUrl: string;
  env?: Record<string, string>;
}): Promise<BotProcess> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
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
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(`${url}/healthz`);
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
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the bot did not become healthy');
}
