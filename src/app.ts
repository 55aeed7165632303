import { ClaudeAgent } from './agent/claude-agent.js';
import { ClaudeHighlightsWriter } from './agent/highlights-writer.js';
import type { Config } from './config.js';
import { DigestScheduler } from './core/digest/digest-scheduler.js';
import { JobWorker } from './core/job-worker.js';
import { UsageLimits } from './core/limits.js';
import { PeopleDirectory } from './core/people.js';
import type { Logger } from './core/ports.js';
import { RetentionSchedule } from './core/retention.js';
import { giveUpOnTask, runTaskJob } from './core/task-job.js';
import { WorkRunner } from './core/work-runner.js';
import { type RequestHandler, startHttpServer } from './http-server.js';
import { createSlackClient, startSlackApp } from './slack/bolt-app.js';
import { checkSignatureHeaders, checkSlackRequest } from './slack/request-guard.js';
import type { SlackCallPolicy } from './slack/slack-calls.js';
import { SlackGateway, type ThreadPaging } from './slack/slack-gateway.js';
import { checkSlackToken, type SlackIdentity, workspaceTimeZone } from './slack/slack-identity.js';
import { SqliteLimitStore } from './store/limits-repo.js';

export { StartupError } from './slack/slack-identity.js';

import { SqliteCollaborationStore } from './store/collaboration-repo.js';
import { durability, openDatabase } from './store/db.js';
import { SqliteDigestStore } from './store/digest-repo.js';
import { SqliteHomeStore } from './store/home-repo.js';
import { SqliteJobQueue } from './store/job-repo.js';
import { SqliteRetentionStore } from './store/retention-repo.js';
import { SqliteTaskStore } from './store/task-repo.js';

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
  /** Socket Mode: pong timeout and reconnect delay (default: the SDK's 5 s). */
  socketModeReconnectMs?: number;
}

export interface RunningApp {
  /** Base URL of the HTTP listener, e.g. http://127.0.0.1:3000 */
  url: string;
  /** Resolves when all background work (answers being written) has finished. */
  idle(): Promise<void>;
  /**
   * Stops taking work (/healthz reports draining), lets answers in progress finish for up to
   * `graceMs`, then closes. Work not started stays stored for the next start.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * The composition root: the one place that builds and wires everything. Nothing happens at import
 * time; tests build the same app with the fakes' URLs in `config`.
 */
export async function startApp(config: Config, logger: Logger, tuning: AppTuning = {}): Promise<RunningApp> {
  const health = { ready: false, draining: false };
  const database = openDatabase(config.databasePath);
  // The connection every acknowledged write commits on: `synchronous: full` means on disk before the ack.
  logger.info('database open', durability(database.sqlite));
  const jobs = new SqliteJobQueue(database.sqlite);
  const store = new SqliteTaskStore(database.db, database.sqlite, jobs);

  let slackHandler: RequestHandler | undefined;
  const { server, url } = await startHttpServer(
    config.http.port,
    config.http.host,
    health,
    () => slackHandler,
    {
      headers: (headers) => checkSignatureHeaders(headers, config.slack.signingSecret),
      body: (rawBody, headers) => checkSlackRequest(rawBody, headers, config.slack.signingSecret),
    },
    logger.child({ component: 'http' }),
  );

  const client = createSlackClient(config.slack, logger);
  let identity: SlackIdentity;
  try {
    identity = await checkSlackToken(client);
  } catch (error) {
    server.close();
    database.close();
    throw error;
  }

  const runner = new WorkRunner(logger);
  const agent = new ClaudeAgent({
    apiKey: config.anthropic.apiKey,
    baseUrl: config.anthropic.baseUrl,
    model: config.anthropic.model,
    maxTokens: config.anthropic.maxTokens,
    sdkMaxRetries: tuning.anthropicSdkRetries,
    streamRetries: tuning.anthropicStreamRetries,
    retryBaseDelayMs: tuning.anthropicRetryBaseMs,
    retryDeadlineMs: config.anthropic.retryDeadlineMs,
    idleTimeoutMs: tuning.anthropicIdleTimeoutMs ?? config.anthropic.idleTimeoutMs,
    logger: logger.child({ component: 'agent' }),
  });
  const slack = new SlackGateway(client, logger.child({ component: 'slack' }), {
    minWriteIntervalMs: tuning.slackMinWriteIntervalMs,
    firstLineWaitMs: tuning.slackFirstLineWaitMs,
    workspaceUrl: identity.url,
    callPolicy: tuning.slackCallPolicy,
    threadPaging: tuning.slackThreadPaging,
  });
  const collaboration = new SqliteCollaborationStore(database.db);
  let worker: JobWorker | undefined;
  const deps = {
    store,
    jobs,
    retention: new SqliteRetentionStore(database.sqlite),
    kick: () => worker?.kick(),
    stopTask: (teamId: string, taskId: number, userId: string) =>
      worker?.stopTask(teamId, taskId, userId) ?? false,
    collaboration,
    digests: new SqliteDigestStore(database.db, collaboration),
    home: new SqliteHomeStore(database.db),
    highlights: new ClaudeHighlightsWriter({
      apiKey: config.anthropic.apiKey,
      baseUrl: config.anthropic.baseUrl,
      model: config.anthropic.smallModel,
    }),
    defaultSchedule: {
      time: config.digest.time,
      timeZone: config.digest.timeZone ?? (await workspaceTimeZone(slack, identity.botUserId, logger)),
    },
    postWhenEmpty: config.digest.postWhenEmpty,
    scheduler: undefined as DigestScheduler | undefined,
    botAdmins: config.botAdmins,
    workspaceTeamId: identity.teamId,
    people: new PeopleDirectory(slack, logger.child({ component: 'people' })),
    slack,
    agent,
    logger,
    runner,
    contextBudgetTokens: config.maxContextTokens,
    limits: new UsageLimits(new SqliteLimitStore(database.sqlite), config.limits),
  };

  const slackApp = await startSlackApp(config.slack, identity, deps, {
    reconnectMs: tuning.socketModeReconnectMs,
  });
  slackHandler = slackApp.requestHandler;
  worker = new JobWorker(
    jobs,
    (job, signal) => runTaskJob(deps, job, signal),
    {
      concurrency: config.maxConcurrentGenerations,
      leaseMs: config.jobLeaseMs,
      pollMs: Math.min(5_000, config.jobLeaseMs),
      logger: logger.child({ component: 'jobs' }),
    },
    (job) => giveUpOnTask(deps, job),
  );
  // Work left queued by a previous run (or cut short by a crash, once its lease expires) starts now.
  worker.start();
  // Stored conversations and deliveries older than RETENTION_DAYS: pruned now, then daily.
  const retention = new RetentionSchedule(deps, config.retentionDays);
  retention.start();
  if (tuning.digestScheduler ?? true) {
    deps.scheduler = new DigestScheduler(deps, identity.teamId, (name, work) => runner.track(name, work));
    deps.scheduler.start();
  }
  health.ready = true;
  logger.info('data-engineer-bot is ready', {
    url,
    mode: slackApp.socketMode ? 'socket' : 'http',
    teamId: identity.teamId,
    model: config.anthropic.model,
  });

  let stopping: Promise<void> | undefined;
  return {
    url,
    async idle() {
      // Listeners queue jobs and jobs post messages that listeners may react to: wait until both rest.
      do {
        await runner.idle();
        await worker?.idle();
      } while (runner.size > 0 || (worker?.activeCount ?? 0) > 0);
    },
    stop({ graceMs = 30_000 } = {}) {
      stopping ??= drain(graceMs);
      return stopping;
    },
  };

  async function drain(graceMs: number): Promise<void> {
    health.draining = true;
    // Socket Mode takes no new work from here, like HTTP's 503 (Slack delivers events again later).
    if (slackApp.socketMode) await slackApp.stop();
    deps.scheduler?.stop();
    retention.stop();
    worker?.stop();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    // Answers in progress may finish within the grace period; queued jobs wait for the next start.
    await Promise.race([Promise.all([runner.idle(), worker?.idle()]), grace]);
    // Past the grace period: running jobs are aborted (they write nothing more, so no false failure
    // note) and handed back to the queue; the database closes only once their handlers returned.
    const released = worker?.releaseUnfinished() ?? 0;
    if (released > 0) logger.info('left unfinished answers queued for the next start', { jobs: released });
    await worker?.settle(5_000);
    worker?.close();
    await slackApp.stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // keep-alive connections would hold close() open
    await closed;
    database.close();
  }
}
