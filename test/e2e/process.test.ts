import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import { startFakeSlack } from '../support/fake-slack.js';
import { TEST_SECRETS } from '../support/harness.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const main = join(root, 'src/main.ts');
// tsx's loader by absolute URL: the bot runs in a scratch folder where bare 'tsx' would not resolve.
const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;

/** Runs src/main.ts as `npm start` would (through tsx instead of a build), in a scratch folder. */
function runBot(cwd: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', tsxLoader, main], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): { out: () => string; exit: Promise<number | null> } {
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    out += chunk;
  });
  return { out: () => out, exit: new Promise((done) => child.on('exit', (code) => done(code))) };
}

describe('the bot process', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'deb-proc-'));
    dirs.push(dir);
    return dir;
  };

  it('with the .env.example values left empty, prints one clear configuration error and exits non-zero', async () => {
    const cwd = scratch();
    copyFileSync(join(root, '.env.example'), join(cwd, '.env'));
    const child = runBot(cwd, {});
    children.push(child);
    const { out, exit } = collect(child);
    expect(await exit).toBe(1);
    const text = out();
    expect(text).toContain('cannot start');
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'ANTHROPIC_API_KEY'])
      expect(text).toContain(name);
    expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it('with a DATABASE_URL nothing answers, prints one line naming it (no password, no stack) and exits non-zero', async () => {
    const child = runBot(scratch(), {
      SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
      SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
      ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
      // Port 9 (discard) on loopback: refused.
      DATABASE_URL: 'postgres://bot:pw-never-printed-9931@127.0.0.1:9/deb',
      PORT: '0',
      HOST: '127.0.0.1',
    });
    children.push(child);
    const { out, exit } = collect(child);
    expect(await exit).toBe(1);
    const text = out();
    expect(text).toContain('cannot start: PostgreSQL (DATABASE_URL) could not be opened');
    expect(text).not.toContain('pw-never-printed-9931');
    expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it('serves /healthz once migrated and authenticated, and exits 0 on SIGTERM', async () => {
    const slack = await startFakeSlack();
    const anthropic = await startFakeAnthropic();
    const cwd = scratch();
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = runBot(cwd, {
      SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
      SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
      SLACK_API_URL: slack.apiUrl,
      ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
      ANTHROPIC_BASE_URL: anthropic.url,
      DATABASE_PATH: join(cwd, 'data', 'bot.db'),
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    children.push(child);
    const { out, exit } = collect(child);
    try {
      const health = await waitForHealth(`http://127.0.0.1:${port}/healthz`, out);
      expect(health).toBe(200);
      expect(slack.callsTo('auth.test')).toHaveLength(1);
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(out()).not.toContain(TEST_SECRETS.botToken);
    } finally {
      await Promise.all([slack.close(), anthropic.close()]);
    }
  });
});

async function waitForHealth(url: string, out: () => string): Promise<number> {
  for (let i = 0; i < 150; i++) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return 200;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bot never became healthy:\n${out()}`);
}
