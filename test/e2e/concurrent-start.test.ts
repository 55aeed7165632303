import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from '../support/fake-anthropic.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { TEST_SECRETS } from '../support/harness.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const ROUNDS = 8;

interface Bot {
  child: ChildProcess;
  port: number;
  output: () => string;
  /** 'healthy' once /healthz answered 200, or the exit code if it died first. */
  outcome: Promise<'healthy' | number | null>;
}

/**
 * Two instances (a rolling upgrade, or two replicas) started at the same moment on a database file
 * that does not exist yet: both must migrate it without tripping over each other and start.
 */
describe('two processes starting together on a fresh database', () => {
  let slack: FakeSlack | undefined;
  let anthropic: FakeAnthropic | undefined;
  const dirs: string[] = [];
  const bots: Bot[] = [];
  afterEach(async () => {
    for (const bot of bots) bot.child.kill('SIGKILL');
    bots.length = 0;
    await Promise.all([slack?.close(), anthropic?.close()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function startBot(databasePath: string, cwd: string): Bot {
    // Below Linux's ephemeral range (32768–60999): a port above it may be the local end of some
    // connection (the other tests', under load), and the bot's listen then fails with EADDRINUSE.
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const child = spawn(process.execPath, ['--import', tsxLoader, join(root, 'src/main.ts')], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
        SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
        SLACK_API_URL: slack?.apiUrl ?? '',
        ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
        ANTHROPIC_BASE_URL: anthropic?.url ?? '',
        DATABASE_PATH: databasePath,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      out += chunk;
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const healthy = (async () => {
      for (;;) {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (response?.status === 200) return 'healthy' as const;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const bot = { child, port, output: () => out, outcome: Promise.race([healthy, exited]) };
    bots.push(bot);
    return bot;
  }

  it(`both start, ${ROUNDS} times out of ${ROUNDS}, and the schema is migrated once`, async () => {
    slack = await startFakeSlack();
    anthropic = await startFakeAnthropic();
    for (let round = 1; round <= ROUNDS; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'deb-twin-'));
      dirs.push(dir);
      const databasePath = join(dir, 'data', 'bot.db');
      const pair = [startBot(databasePath, dir), startBot(databasePath, dir)];
      const outcomes = await Promise.all(pair.map((bot) => bot.outcome));
      for (const [i, outcome] of outcomes.entries())
        expect(outcome, `round ${round}, instance ${i + 1}:\n${pair[i]?.output()}`).toBe('healthy');
      const db = new Database(databasePath, { readonly: true });
      try {
        const applied = db.prepare('select hash from __drizzle_migrations').all() as { hash: string }[];
        // Each migration recorded once: the second instance saw the first one's work and skipped it.
        expect(new Set(applied.map((m) => m.hash)).size).toBe(applied.length);
      } finally {
        db.close();
      }
      for (const bot of pair) bot.child.kill('SIGKILL');
    }
  }, 180_000);
});
