import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAnthropic } from '../../test/support/fake-anthropic.js';
import { startFakeSlack } from '../../test/support/fake-slack.js';
import { TEST_SECRETS } from '../../test/support/harness.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

/** (c) resident memory of the built bot, idle after start-up, as `npm start` runs it. */
export async function idleMemoryScenario(): Promise<{ rssMb: number }> {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      stdio: 'inherit',
    },
  );
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  const dir = mkdtempSync(join(tmpdir(), 'deb-bench-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [join(root, 'dist/main.js')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
      SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
      SLACK_API_URL: slack.apiUrl,
      ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
      ANTHROPIC_BASE_URL: anthropic.url,
      DATABASE_PATH: join(dir, 'bot.db'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  try {
    await waitHealthy(`http://127.0.0.1:${port}/healthz`);
    await new Promise((r) => setTimeout(r, 2000));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return { rssMb: Math.round((kb / 1024) * 10) / 10 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
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
