import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type AppTuning, type RunningApp, startApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { type FakeAnthropic, startFakeAnthropic } from './fake-anthropic.js';
import { FAKE_TEAM_ID, type FakeSlack, startFakeSlack } from './fake-slack.js';
import { eventEnvelope, postSigned, slashCommandBody } from './slack-signing.js';
import { throwawayDatabase } from './store-engines.js';

export const TEST_SECRETS = {
  botToken: 'xoxb-test-bot-token-0123456789',
  signingSecret: 'test-signing-secret-abcdef0123456789',
  apiKey: 'sk-ant-test-key-0123456789abcdef',
};

export interface Harness {
  slack: FakeSlack;
  anthropic: FakeAnthropic;
  app: RunningApp;
  logs: string[];
  databasePath: string;
  /** Sends a signed `/data-engineer <text>` exactly as Slack would. */
  command(
    text: string,
    fields?: { user_id?: string; channel_id?: string; team_id?: string },
  ): ReturnType<typeof postSigned>;
  /** Delivers a signed Events API callback carrying `event` exactly as Slack would. */
  event(
    // biome-ignore lint/suspicious/noExplicitAny: events are free-form.
    event: Record<string, any>,
    opts?: Parameters<typeof eventEnvelope>[1],
  ): ReturnType<typeof postSigned>;
  /** Reads the bot's SQLite database through a second, read-only connection. */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[];
  /**
   * Reads the bot's database whichever the engine (`?` placeholders; on PostgreSQL they become $1…, and
   * counts should be cast to int).
   */
  sql<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Stops the app without waiting for its work (as a crash would) and starts a new one on the same database. */
  restart(): Promise<void>;
  /** A second, live instance of the bot on the same database (as a second process would be); closed with the harness. */
  startPeer(tuning?: AppTuning): Promise<RunningApp>;
  close(): Promise<void>;
}

/**
 * The real app over real HTTP, pointed at the local fake Slack and fake Anthropic servers, with a
 * fresh database in a temporary folder. Tuning keeps retries short so failure tests stay fast.
 */
export async function startHarness(
  options: {
    tuning?: AppTuning;
    env?: Record<string, string>;
    /** Read-only data sources, as an operator writes them in DATA_SOURCES (e.g. a PGlite URL). */
    dataSources?: readonly Record<string, unknown>[];
    /** The store: SQLite (default), or a throwaway database on TEST_DATABASE_URL's PostgreSQL server. */
    store?: 'sqlite' | 'postgres';
  } = {},
): Promise<Harness> {
  const slack = await startFakeSlack();
  const anthropic = await startFakeAnthropic();
  const dir = mkdtempSync(join(tmpdir(), 'deb-e2e-'));
  const databasePath = join(dir, 'data', 'bot.db');
  const postgres = options.store === 'postgres' ? await throwawayDatabase('deb_e2e') : undefined;
  const parsed = parseConfig({
    SLACK_BOT_TOKEN: TEST_SECRETS.botToken,
    SLACK_SIGNING_SECRET: TEST_SECRETS.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    ANTHROPIC_API_KEY: TEST_SECRETS.apiKey,
    ANTHROPIC_BASE_URL: anthropic.url,
    DATABASE_PATH: databasePath,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    // A restart (standing in for a crash) picks up the dead process's jobs after a second.
    JOB_LEASE_SECONDS: '1',
    // Tests send many tasks as one person; the ones about USER_TASKS_PER_HOUR set it themselves.
    USER_TASKS_PER_HOUR: '10000',
    ...(options.dataSources ? { DATA_SOURCES: JSON.stringify(options.dataSources) } : {}),
    ...(postgres ? { DATABASE_URL: postgres.url, DATABASE_POOL_SIZE: '4' } : {}),
    ...options.env,
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const logs: string[] = [];
  const logger = createLogger({
    level: parsed.config.logLevel,
    secrets: parsed.config.secrets,
    sink: (line) => logs.push(line),
  });
  const tuning: AppTuning = {
    anthropicSdkRetries: 0,
    anthropicStreamRetries: 2,
    anthropicRetryBaseMs: 5,
    slackMinWriteIntervalMs: 50,
    // Rate limits are waited out as in production; other Slack failures are not retried, so tests
    // that inject one see its effect.
    slackCallPolicy: { rateLimitWaits: 8, transientRetries: 0, baseDelayMs: 10 },
    // Digest tests turn it on; elsewhere a digest posted at 09:00 would only surprise a test.
    digestScheduler: false,
    // Socket Mode tests: reconnect after Slack's `disconnect` in 1 s, not the SDK's 5 s.
    socketModeReconnectMs: 1_000,
    ...options.tuning,
  };
  const config = parsed.config;
  let reader: Database.Database | undefined;
  let pgReader: pg.Pool | undefined;
  const peers: RunningApp[] = [];
  const harness: Harness = {
    slack,
    anthropic,
    app: await startApp(config, logger, tuning),
    logs,
    databasePath,
    command: (text, fields = {}) =>
      postSigned(
        `${harness.app.url}/slack/events`,
        slashCommandBody({ text, team_id: FAKE_TEAM_ID, response_url: slack.responseUrl(), ...fields }),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
      ),
    event: (event, opts) =>
      postSigned(`${harness.app.url}/slack/events`, eventEnvelope(event, opts), {
        signingSecret: TEST_SECRETS.signingSecret,
        contentType: 'application/json',
      }),
    query: <T>(sql: string, ...params: unknown[]) => {
      reader ??= new Database(databasePath, { readonly: true });
      return reader.prepare(sql).all(...params) as T[];
    },
    async sql<T>(text: string, ...params: unknown[]): Promise<T[]> {
      if (!postgres) return harness.query<T>(text, ...params);
      if (!pgReader) {
        pgReader = new pg.Pool({ connectionString: postgres.url, max: 2 });
        // The throwaway database is dropped with FORCE at close: a connection still closing hears it.
        pgReader.on('error', () => {});
        pgReader.on('connect', (client) => client.on('error', () => {}));
      }
      let n = 0;
      const result = await pgReader.query(
        text.replace(/\?/g, () => `$${++n}`),
        params,
      );
      return result.rows as T[];
    },
    async restart() {
      // As after a crash: work in progress is abandoned, not finished.
      await harness.app.stop({ graceMs: 0 });
      harness.app = await startApp(config, logger, tuning);
    },
    async startPeer(peerTuning = {}) {
      const peer = await startApp(config, logger, { ...tuning, ...peerTuning });
      peers.push(peer);
      return peer;
    },
    async close() {
      reader?.close();
      await Promise.all(peers.map((peer) => peer.stop()));
      await harness.app.stop();
      await pgReader?.end();
      await postgres?.drop();
      await Promise.all([slack.close(), anthropic.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
