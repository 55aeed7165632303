import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  dataEngineeringAnswer,
  type FakeAnthropic,
  startFakeAnthropic,
  textReply,
} from '../support/fake-anthropic.js';
import { FAKE_TEAM_ID, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { isFeedbackPrompt } from '../support/feedback.js';
import { TEST_SECRETS } from '../support/harness.js';
import { postSigned, slashCommandBody } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const CHANNEL = 'C0GENERAL1';
const ANSWER = dataEngineeringAnswer('Crash-safe pipeline');

/**
 * The bot as a real child process, killed with SIGKILL at several points while it answers and
 * started again on the same database: every task must end with exactly one complete answer.
 */
describe('crash recovery (SIGKILL mid-answer)', () => {
  let slack: FakeSlack;
  let anthropic: FakeAnthropic;
  let dir: string;
  let child: ChildProcess | undefined;
  /** A second, live bot process on the same database (the two-instance test). */
  let second: ChildProcess | undefined;
  let port: number;
  let output = '';

  beforeEach(async () => {
    slack = await startFakeSlack();
    anthropic = await startFakeAnthropic();
    // About 4 s per answer: long enough to be killed in the middle of one.
    anthropic.setDefault(textReply(ANSWER, { tokensPerSecond: 150 }));
    output = '';
    dir = mkdtempSync(join(tmpdir(), 'deb-crash-'));
    port = 20_000 + Math.floor(Math.random() * 20_000);
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    second?.kill('SIGKILL');
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the bot; resolves with `performance.now()` at its first /healthz 200. */
  async function startBot(env: Record<string, string> = {}): Promise<number> {
    child = await spawnBot(port, env);
    return performance.now();
  }

  async function spawnBot(onPort: number, env: Record<string, string>): Promise<ChildProcess> {
    const bot = spawn(process.execPath, ['--import', tsxLoader, join(root, 'src/main.ts')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
        SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
        SLACK_API_URL: slack.apiUrl,
        ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
        ANTHROPIC_BASE_URL: anthropic.url,
        DATABASE_PATH: join(dir, 'bot.db'),
        PORT: String(onPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        JOB_LEASE_SECONDS: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bot.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    bot.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    await until(
      async () => (await fetch(`http://127.0.0.1:${onPort}/healthz`).catch(() => undefined))?.status === 200,
      // Compiling the TypeScript at start can take long on a loaded machine.
      60_000,
    );
    return bot;
  }

  async function kill(): Promise<void> {
    const dying = child;
    if (!dying) return;
    const exited = new Promise((done) => dying.once('exit', done));
    dying.kill('SIGKILL');
    await exited;
    child = undefined;
  }

  async function command(text: string): Promise<void> {
    const response = await postSigned(
      `http://127.0.0.1:${port}/slack/events`,
      slashCommandBody({
        text,
        team_id: FAKE_TEAM_ID,
        channel_id: CHANNEL,
        response_url: slack.responseUrl(),
      }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
    );
    expect(response.status).toBe(200);
  }

  const doneTasks = () => {
    const db = new Database(join(dir, 'bot.db'), { readonly: true });
    try {
      return (db.prepare("select count(*) as n from tasks where status = 'done'").get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const appends = () => slack.callsTo('chat.appendStream').length;

  /** Each task's parent and the bot's replies under it. */
  function threads() {
    const parents = slack.messages.filter((m) => m.channel === CHANNEL && m.bot_id && !m.thread_ts);
    return parents.map((parent) => ({
      parent,
      // 👍/👎 come in a message of their own when the answer was rewritten (chat.update) after a kill.
      replies: slack.messages.filter(
        (m) => m.thread_ts === parent.ts && m.ts !== parent.ts && !isFeedbackPrompt(m),
      ),
    }));
  }

  it('ends with exactly one complete answer per task after kills before, during and between answers', async () => {
    await startBot();
    // Kill 1: right after the acks, before any model output.
    await command('design a pipeline for orders');
    await command('design a pipeline for payments');
    await kill();
    await startBot();
    // Kill 2: in the middle of streaming (a few appends into the answers).
    await until(() => appends() >= 3);
    expect(slack.messages.some((m) => m.streaming_state === 'in_progress')).toBe(true);
    await kill();
    await startBot();
    // Kill 3: mid-stream again, after the resumed answers have rewritten part of their messages.
    await command('design a pipeline for refunds');
    await until(() => slack.callsTo('chat.update').length >= 1 && appends() >= 6);
    await kill();
    await startBot();

    await until(() => doneTasks() === 3, 60_000);
    // The half-written messages were rewritten in place, not left beside new ones.
    expect(slack.callsTo('chat.update').length).toBeGreaterThan(0);
    const all = threads();
    expect(all).toHaveLength(3);
    for (const { parent, replies } of all) {
      expect(replies, `thread of ${parent.text}`).toHaveLength(1);
      expect(replies[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
      expect(replies[0]?.streaming_state).not.toBe('in_progress');
    }
    expect(output).not.toContain(TEST_SECRETS.botToken);
  }, 120_000);

  it('resumes a killed answer at once on restart, long before its lease expires, with one copy', async () => {
    // With a 10-minute lease, only the takeover of a dead process's jobs can resume the answer in time.
    const longLease = { JOB_LEASE_SECONDS: '600' };
    await startBot(longLease);
    await command('design a pipeline for invoices');
    await until(() => appends() >= 3);
    await kill();
    const writesBefore = slack.calls.filter((c) => c.method.startsWith('chat.')).length;
    const readyAt = await startBot(longLease);
    await until(() => slack.calls.filter((c) => c.method.startsWith('chat.')).length > writesBefore);
    const firstWrite = slack.calls.filter((c) => c.method.startsWith('chat.'))[writesBefore];
    // A figure for the report, not an assertion (tests never assert wall-clock times).
    console.log(
      `restart: first write ${Math.round((firstWrite?.at ?? 0) - readyAt)} ms after /healthz 200 (${firstWrite?.method})`,
    );
    await until(() => doneTasks() === 1, 60_000);
    const [thread] = threads();
    expect(thread?.replies).toHaveLength(1);
    expect(thread?.replies[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
    expect(output).toContain('took over the jobs of a worker that died');
  }, 120_000);

  it('never takes over the jobs of a live process that shares the database', async () => {
    // A short lease, renewed by the live first process, and an answer that streams for several leases:
    // a second process must leave its job alone. (A 1 s lease made a loaded machine's event-loop stalls
    // look like a lost lease, and the first process rightly stopped writing.)
    const env = { JOB_LEASE_SECONDS: '3' };
    anthropic.setDefault(textReply(ANSWER, { tokensPerSecond: 30 }));
    await startBot(env);
    await command('design a pipeline for shipments');
    await until(() => appends() >= 2);
    second = await spawnBot(port + 1, env);
    await until(() => doneTasks() === 1, 60_000);
    // One model request, one answer: the second process ran nothing of it.
    expect(anthropic.requests).toHaveLength(1);
    const [thread] = threads();
    expect(thread?.replies).toHaveLength(1);
    expect(thread?.replies[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
    expect(output).not.toContain('took over the jobs of a worker that died');
  }, 120_000);
});
