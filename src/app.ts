import {
  type BackgroundWork,
  buildBackgroundWork,
  drainBackgroundWork,
  startBackgroundWork,
  untilIdle,
} from './composition/background.js';
import { buildServices, type Services } from './composition/services.js';
import { openStoreBackend, type StoreBackend } from './composition/stores.js';
import { WorkspaceDigestSchedulers } from './composition/team-digests.js';
import type { Config } from './config.js';
import { errorSummary } from './core/errors.js';
import type { Logger } from './core/logger.js';
import type { Metrics } from './core/metrics.js';
import { type RequestHandler, type SlackHandler, startHttpServer } from './http-server.js';
import { startMetrics } from './metrics/start-metrics.js';
import { TokenCipher } from './security/token-cipher.js';
import { parseTokenKey } from './security/token-key.js';
import { createSlackClient, type SlackInstallDeps, startSlackApp } from './slack/bolt-app.js';
import { boltInstallationStore } from './slack/bolt-installations.js';
import { checkSignatureHeaders, checkSlackRequest } from './slack/request-guard.js';
import type { SlackCallPolicy } from './slack/slack-calls.js';
import { checkSlackToken, StartupError } from './slack/slack-identity.js';
import type { ThreadPaging } from './slack/slack-thread-reader.js';
import { WorkspaceClients } from './slack/workspaces.js';
import type { DataSync } from './store/wal-sync.js';

export { StartupError } from './slack/slack-identity.js';

/** Knobs tests and benchmarks turn; production uses the defaults. */
export interface AppTuning {
  /** Retries the Anthropic SDK makes itself (default 2). */
  anthropicSdkRetries?: number;
  /** Whole-stream retries on top (default 3) and their first backoff (default 1 s). */
  anthropicStreamRetries?: number;
  anthropicRetryBaseMs?: number;
  /** Overrides ANTHROPIC_IDLE_TIMEOUT_SECONDS (tests use a fraction of a second). */
  anthropicIdleTimeoutMs?: number;
  /** Minimum time between two writes to one Slack message (default 1 s). */
  slackMinWriteIntervalMs?: number;
  /** How long a new message's first write waits for its first complete line (default 250 ms). */
  slackFirstLineWaitMs?: number;
  /** How Slack calls are retried (default: src/slack/slack-calls.ts). */
  slackCallPolicy?: SlackCallPolicy;
  /** How much of a long thread is read for context (default: src/slack/slack-gateway.ts). */
  slackThreadPaging?: ThreadPaging;
  /** Run the daily digest scheduler (default true; tests that do not test digests turn it off). */
  digestScheduler?: boolean;
  /** OAuth install: how often each instance reads the installed workspaces again for digests (default 60 s). */
  installSyncMs?: number;
  /** Adopted data-quality checks: how often due slots are looked for, and the clock they are read by. */
  checkScheduler?: { tickMs?: number; now?: () => Date };
  /** Socket Mode: pong timeout and reconnect delay (default: the SDK's 5 s). */
  socketModeReconnectMs?: number;
  /** How a new task's commit reaches the disk before its ack (default fs.fdatasync; tests hold it). */
  walDataSync?: DataSync;
}

export interface RunningApp {
  /** Base URL of the HTTP listener, e.g. http://127.0.0.1:3000 */
  url: string;
  /** Base URL of the metrics listener (GET /metrics) when METRICS_PORT is set. */
  metricsUrl?: string;
  /** Resolves when all background work (answers being written) has finished. */
  idle(): Promise<void>;
  /**
   * Stops taking work (/healthz reports draining), lets answers in progress finish for up to
   * `graceMs`, then closes. Work not started stays stored for the next start.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Resolves if background work stopped by itself and the process should restart (never rejects). */
  failed: Promise<Error>;
}

interface Health {
  ready: boolean;
  draining: boolean;
}

/**
 * The HTTP listener comes up first, so /healthz answers (and Slack's requests get 503, which Slack
 * retries) while the rest starts; `slot.handler` is set once the Slack app exists.
 */
async function listen(config: Config, logger: Logger, health: Health) {
  const slot: { handler?: SlackHandler; install?: RequestHandler } = {};
  const { server, url } = await startHttpServer(
    config.http.port,
    config.http.host,
    health,
    () => slot.handler,
    {
      headers: (headers) => checkSignatureHeaders(headers, config.slack.signingSecret),
      body: (rawBody, headers) => checkSlackRequest(rawBody, headers, config.slack.signingSecret),
    },
    logger.child({ component: 'http' }),
    () => slot.install,
  );
  return { server, url, slot };
}

type Listener = Awaited<ReturnType<typeof listen>>;

/** The listeners' deps: the services plus what reaches the background work (kick, stop, digests). */
function listenerDeps(services: Services, background: BackgroundWork) {
  const { worker } = background;
  const deps = {
    ...services,
    kick: () => worker.kick(),
    stopTask: (teamId: string, taskId: number, userId: string) => worker.stopTask(teamId, taskId, userId),
    scheduler: background.scheduler,
  };
  // Read in each request's workspace scope (the spread above copied the value at start-up).
  Object.defineProperty(deps, 'workspaceTeamId', {
    get: () => services.workspaces.currentTeamId() ?? '',
    enumerable: true,
  });
  return deps;
}

/** Who the bot talks to Slack as: the one workspace's token, or each install's (OAuth). */
async function connectWorkspaces(config: Config, logger: Logger, database: StoreBackend, metrics: Metrics) {
  const newClient = (token: string) => createSlackClient(config.slack, logger, metrics, token);
  const oauth = config.slack.oauth;
  if (!oauth) {
    const client = createSlackClient(config.slack, logger, metrics);
    // auth.test before anything else talks to Slack: a refused token stops the start.
    const identity = await checkSlackToken(client);
    const workspace = { ...identity, client, token: config.slack.botToken ?? '' };
    return {
      identity,
      workspaces: WorkspaceClients.single(workspace),
      installations: undefined,
      purge: undefined,
      newClient,
    };
  }
  const current = parseTokenKey(oauth.tokenKey);
  // The config checked the key's length; this only narrows the type.
  if (!current) throw new StartupError('TOKEN_ENCRYPTION_KEY must be 32 bytes (base64 or hex).');
  const previous = oauth.previousTokenKey ? parseTokenKey(oauth.previousTokenKey) : undefined;
  const { store: installations, purge } = database.installations(new TokenCipher(current, previous));
  try {
    const resealed = await installations.resealUnderCurrentKey();
    if (resealed > 0)
      logger.info('bot tokens re-encrypted under the current key', { installations: resealed });
  } catch {
    throw new StartupError(
      'Stored bot tokens do not open with TOKEN_ENCRYPTION_KEY (or TOKEN_ENCRYPTION_KEY_PREVIOUS): set the key they were encrypted with.',
    );
  }
  return {
    identity: undefined,
    workspaces: WorkspaceClients.installed(installations, newClient),
    installations,
    purge,
    newClient,
  };
}

/** OAuth install: Bolt's installation store over ours, and what an uninstall deletes. */
function installDeps(
  connected: Awaited<ReturnType<typeof connectWorkspaces>>,
  background: BackgroundWork,
  logger: Logger,
): SlackInstallDeps | undefined {
  const { installations, purge, workspaces, newClient } = connected;
  if (!installations || !purge) return undefined;
  const digests =
    background.scheduler instanceof WorkspaceDigestSchedulers ? background.scheduler : undefined;
  return {
    installationStore: boltInstallationStore(installations, {
      newClient,
      installed: (installation) => {
        workspaces.invalidate(installation.teamId);
        if (installation.teamId)
          digests
            ?.add(installation.teamId)
            .catch((error: unknown) =>
              logger.error('could not schedule the digests of a new install', { error: errorSummary(error) }),
            );
      },
    }),
    uninstall: {
      installations,
      purge,
      forgetWorkspace: (teamId) => {
        workspaces.invalidate(teamId);
        digests?.remove(teamId);
      },
      logger: logger.child({ component: 'install' }),
    },
  };
}

/**
 * The composition root: the one place that builds and wires everything, in order — database and
 * HTTP listener, Slack identity, services, background work, the Slack app — then starts the
 * background work. Nothing happens at import time; tests build the same app with the fakes' URLs.
 */
export async function startApp(config: Config, logger: Logger, tuning: AppTuning = {}): Promise<RunningApp> {
  // SQLite (DATABASE_PATH) or PostgreSQL (DATABASE_URL), migrated before anything uses it.
  const database = await openStoreBackend(config, tuning, logger);
  // What a failed start opened is closed again, newest first (a refused token, a port in use, …).
  const opened: (() => Promise<void>)[] = [() => database.close()];
  try {
    return await startOn(database, opened, config, logger, tuning);
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => {});
    throw error;
  }
}

async function startOn(
  database: StoreBackend,
  opened: (() => Promise<void>)[],
  config: Config,
  logger: Logger,
  tuning: AppTuning,
): Promise<RunningApp> {
  const health: Health = { ready: false, draining: false };
  const http = await listen(config, logger, health);
  opened.push(() => closeListener(http));
  // Metrics (METRICS_PORT) are built first, so the Slack clients and Claude count from their first call.
  const metrics = await startMetrics(config, logger);
  const connected = await connectWorkspaces(config, logger, database, metrics.report);
  const { identity, workspaces, installations } = connected;
  const services = await buildServices(
    config,
    logger,
    tuning,
    database.stores,
    workspaces,
    identity,
    metrics.report,
  );
  // The metrics listener, once the queue it reads exists; a port that cannot be bound stops the start.
  const metricsListener = await metrics.listen(() => services.jobs.stats());
  if (metricsListener) opened.push(() => metricsListener.close());
  const failure = watchForFailure(health, logger);
  const background = buildBackgroundWork(
    config,
    logger,
    tuning,
    services,
    database,
    identity?.teamId,
    async () => (await installations?.installedTeams()) ?? [],
    failure.report,
  );
  const slackApp = await startSlackApp(
    config.slack,
    identity,
    listenerDeps(services, background),
    { reconnectMs: tuning.socketModeReconnectMs },
    installDeps(connected, background, logger),
  );
  opened.push(() => slackApp.stop());
  http.slot.handler = slackApp.requestHandler;
  http.slot.install = slackApp.installHandler;
  // Started work (queued answers taken, schedulers) is stopped before the rest closes.
  opened.push(() => drainBackgroundWork(background, services.runner, 0, logger));
  await startBackgroundWork(background);
  health.ready = true;
  logger.info('data-engineer-bot is ready', {
    url: http.url,
    mode: slackApp.socketMode ? 'socket' : 'http',
    database: database.engine,
    ...(identity ? { teamId: identity.teamId } : { install: 'oauth' }),
    model: config.anthropic.model,
  });
  const drain = async (graceMs: number) => {
    health.draining = true;
    // Socket Mode takes no new work from here, like HTTP's 503 (Slack delivers events again later).
    if (slackApp.socketMode) await slackApp.stop();
    await drainBackgroundWork(background, services.runner, graceMs, logger);
    // No answer runs now: the sandbox child (if it is up) ends with its sessions.
    await services.sandbox?.stop();
    await services.diagrams.stop();
    await services.dataSources.closeAll();
    await metricsListener?.close();
    await slackApp.stop();
    await closeListener(http);
    await database.close();
  };
  return {
    ...runningApp(http.url, () => untilIdle(services.runner, background.worker), drain),
    ...(metricsListener ? { metricsUrl: metricsListener.url } : {}),
    failed: failure.failed,
  };
}

/**
 * Background work that stopped by itself (the PostgreSQL answer queue's runner): /healthz stops
 * reporting ready and `failed` resolves, on which main stops the process so a supervisor restarts it.
 */
function watchForFailure(health: Health, logger: Logger) {
  let report: (error: Error) => void = () => {};
  const failed = new Promise<Error>((resolve) => {
    report = (error) => {
      health.ready = false;
      logger.error('background work stopped by itself: this process must restart', {
        error: errorSummary(error),
      });
      resolve(error);
    };
  });
  return { failed, report };
}

/** The HTTP listener, its keep-alive connections too (they would hold close() open). */
async function closeListener(http: Listener): Promise<void> {
  const closed = new Promise<void>((resolve) => http.server.close(() => resolve()));
  http.server.closeAllConnections();
  await closed;
}

function runningApp(
  url: string,
  idle: () => Promise<void>,
  drain: (graceMs: number) => Promise<void>,
): Omit<RunningApp, 'failed'> {
  let stopping: Promise<void> | undefined;
  return {
    url,
    idle,
    stop({ graceMs = 30_000 } = {}) {
      stopping ??= drain(graceMs);
      return stopping;
    },
  };
}
