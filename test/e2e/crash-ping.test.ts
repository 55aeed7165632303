import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic, textReply } from '../support/fake-anthropic.js';
import { FAKE_BOT_USER_ID, FAKE_TEAM_ID, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { TEST_SECRETS } from '../support/harness.js';
import { eventEnvelope, postSigned, slashCommandBody } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

/** The collaboration ping's post (not the answer's Stop control or parent): it carries the Acknowledge button. */
const isPing = (args: Record<string, unknown>) =>
  JSON.stringify(args.blocks ?? '').includes('collaboration_acknowledge');

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const CHANNEL = 'C0GENERAL1';
const ANA = 'U0ANA0001';
const SAM = 'U0SAM0001';

/** The bot as a real process, SIGKILLed after claiming a collaboration ping and before Slack got it. */
describe('crash between claiming a ping and posting it', () => {
  let slack: FakeSlack;
  let anthropic: FakeAnthropic;
  let dir: string;
  let child: ChildProcess | undefined;
  let port: number;
  let output = '';

  beforeEach(async () => {
    slack = await startFakeSlack();
    anthropic = await startFakeAnthropic();
    slack.addUser({ id: ANA });
    slack.addUser({ id: SAM });
    dir = mkdtempSync(join(tmpdir(), 'deb-crash-ping-'));
    port = 20_000 + Math.floor(Math.random() * 20_000);
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    await Promise.all([slack.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function startBot(): Promise<void> {
    child = spawn(process.execPath, ['--import', tsxLoader, join(root, 'src/main.ts')], {
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
        BOT_ADMINS: ANA,
        JOB_LEASE_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    await until(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200,
    );
  }

  const query = <T>(sql: string): T[] => {
    const db = new Database(join(dir, 'bot.db'), { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };
  const pings = () =>
    slack.messages.filter(
      (m) => m.bot_id && JSON.stringify(m.blocks ?? []).includes('collaboration_acknowledge'),
    );

  it('posts the ping exactly once after the restart', async () => {
    await startBot();
    const set = await postSigned(
      `http://127.0.0.1:${port}/slack/events`,
      slashCommandBody({
        text: `owners set security <@${SAM}|sam>`,
        team_id: FAKE_TEAM_ID,
        channel_id: CHANNEL,
        user_id: ANA,
        response_url: slack.responseUrl(),
      }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
    );
    expect(set.status).toBe(200);
    await until(() => query('select * from owners').length === 1);

    anthropic.script(
      {
        kind: 'message',
        content: [
          { type: 'text', text: '## Data Engineering Solution: Orders mart\n' },
          {
            type: 'tool_use',
            name: 'request_collaboration',
            input: {
              role: 'security',
              topic: 'PII encryption for the orders mart',
              request: 'Provide a KMS key per environment.',
              reason: 'The mart stores customer emails.',
            },
          },
        ],
      },
      textReply('### Data Architecture\nMasked views.'),
    );
    const release = slack.holdNext('chat.postMessage', isPing);
    const text = `<@${FAKE_BOT_USER_ID}> design an orders mart with customer PII`;
    const mention = slack.seedMessage({ channel: CHANNEL, user: ANA, text });
    const delivered = await postSigned(
      `http://127.0.0.1:${port}/slack/events`,
      eventEnvelope({ type: 'app_mention', channel: CHANNEL, user: ANA, text, ts: mention.ts }),
      { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/json' },
    );
    expect(delivered.status).toBe(200);

    // The ping is claimed and its post is on its way: the process dies before Slack takes it.
    await until(() => slack.callsTo('chat.postMessage').some((c) => isPing(c.args)));
    const dying = child;
    const exited = new Promise((done) => dying?.once('exit', done));
    dying?.kill('SIGKILL');
    await exited;
    slack.failNext('chat.postMessage', { status: 500 }, 1, isPing);
    release();
    await until(() => slack.callsTo('chat.postMessage').some((c) => isPing(c.args) && c.httpStatus === 500));
    expect(pings()).toHaveLength(0);

    await startBot();
    await until(() => pings().length === 1, 30_000);
    // The job has finished: nothing left to post, and nothing posted twice.
    await until(() => query('select * from jobs').length === 0, 30_000);
    expect(pings()).toHaveLength(1);
    expect(pings()[0]?.thread_ts).toBe(mention.ts);
    expect(output).not.toContain(TEST_SECRETS.botToken);
  }, 90_000);
});
