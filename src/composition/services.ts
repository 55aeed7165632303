import { ClaudeAgent } from '../agent/claude-agent.js';
import { ClaudeHighlightsWriter } from '../agent/highlights-writer.js';
import type { AppTuning } from '../app.js';
import { WorkerDiagramRenderer } from '../artifacts/worker-diagram-renderer.js';
import type { Config } from '../config.js';
import { WorkRunner } from '../core/jobs/work-runner.js';
import type { Logger } from '../core/logger.js';
import { type Metrics, NO_METRICS } from '../core/metrics.js';
import { PeopleDirectory } from '../core/people.js';
import { postAnswerSteps } from '../core/post-answer/registry.js';
import { buildDataSourceCatalog } from '../datasources/catalog.js';
import { postgresStatementTables } from '../datasources/referenced-tables.js';
import { ChildProcessSandbox } from '../sandbox/child-sandbox.js';
import { SlackFileUploads } from '../slack/file-uploads.js';
import { SlackSharedFiles } from '../slack/shared-files.js';
import { SlackGateway } from '../slack/slack-gateway.js';
import { type SlackIdentity, workspaceTimeZone } from '../slack/slack-identity.js';
import type { WorkspaceClients } from '../slack/workspaces.js';
import type { Stores } from './stores.js';

/** Everything the use cases need that does not depend on the background work: stores, Slack, Claude. */
export type Services = Awaited<ReturnType<typeof buildServices>>;

function buildAgent(config: Config, logger: Logger, tuning: AppTuning, metrics: Metrics): ClaudeAgent {
  return new ClaudeAgent({
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
    metrics,
  });
}

/** One SQL sandbox for the process: DuckDB in a child process, started on first use, ended when idle. */
function buildSandbox(config: Config, logger: Logger): ChildProcessSandbox | undefined {
  if (!config.sandbox) return undefined;
  return new ChildProcessSandbox({
    limits: config.sandbox,
    onLifecycle: (event) =>
      logger.info(`sandbox child ${event.type}`, {
        pid: event.pid,
        ...(event.reason ? { reason: event.reason } : {}),
      }),
  });
}

function buildSlackGateway(workspaces: WorkspaceClients, logger: Logger, tuning: AppTuning) {
  return new SlackGateway(workspaces.client(), logger.child({ component: 'slack' }), {
    minWriteIntervalMs: tuning.slackMinWriteIntervalMs,
    firstLineWaitMs: tuning.slackFirstLineWaitMs,
    identity: workspaces.self(),
    callPolicy: tuning.slackCallPolicy,
    threadPaging: tuning.slackThreadPaging,
  });
}

/** What the daily digest reads: its highlights writer and the schedule a channel gets by default. */
async function buildDigestSettings(
  config: Config,
  slack: SlackGateway,
  identity: SlackIdentity | undefined,
  logger: Logger,
  metrics: Metrics,
) {
  return {
    highlights: new ClaudeHighlightsWriter({
      apiKey: config.anthropic.apiKey,
      baseUrl: config.anthropic.baseUrl,
      model: config.anthropic.smallModel,
      metrics,
    }),
    defaultSchedule: {
      time: config.digest.time,
      // With several workspaces (OAuth install) there is no one workspace zone: DIGEST_TIMEZONE or UTC.
      timeZone:
        config.digest.timeZone ??
        (identity ? await workspaceTimeZone(slack, identity.botUserId, logger) : 'UTC'),
    },
    postWhenEmpty: config.digest.postWhenEmpty,
  };
}

/** What runs after every answer, in order (src/core/post-answer/registry.ts): checks, repair, files. */
function buildPostAnswerSteps(
  config: Config,
  parts: {
    agent: ClaudeAgent;
    sandbox: ChildProcessSandbox | undefined;
    stores: Stores;
    files: SlackFileUploads;
    diagrams: WorkerDiagramRenderer;
  },
) {
  const { agent, sandbox, stores, files, diagrams } = parts;
  return postAnswerSteps({
    checks: sandbox && { sandbox, parsers: sandbox },
    agent,
    contextBudgetTokens: config.maxContextTokens,
    qualityChecks: stores.qualityChecks,
    deliveries: {
      files,
      artifacts: stores.artifacts,
      diagrams,
      store: stores.store,
      ...(sandbox ? { sandbox } : {}),
    },
  });
}

/** Stores over the open database, the Slack gateway, Claude, and the settings the use cases read. */
export async function buildServices(
  config: Config,
  logger: Logger,
  tuning: AppTuning,
  /** The open database's stores (SQLite or PostgreSQL: composition/stores.ts). */
  stores: Stores,
  workspaces: WorkspaceClients,
  /** The one workspace's auth.test (SLACK_BOT_TOKEN); undefined with the OAuth install. */
  identity: SlackIdentity | undefined,
  metrics: Metrics = NO_METRICS,
) {
  const slack = buildSlackGateway(workspaces, logger, tuning);
  // Every Slack client below is the current workspace's (src/slack/workspaces.ts).
  const client = workspaces.client();
  const agent = buildAgent(config, logger, tuning, metrics);
  const sandbox = buildSandbox(config, logger);
  // Diagrams are drawn in a worker thread, started on first use and ended when idle.
  const diagrams = new WorkerDiagramRenderer();
  const files = new SlackFileUploads(
    client,
    logger.child({ component: 'files' }),
    workspaces.self(),
    tuning.slackCallPolicy,
  );
  return {
    ...stores,
    ...(await buildDigestSettings(config, slack, identity, logger, metrics)),
    botAdmins: config.botAdmins,
    /** The workspace whose work is running: only its admins are admins (read in each request's or job's scope). */
    get workspaceTeamId(): string {
      return workspaces.currentTeamId() ?? '';
    },
    workspaces,
    /** Runs work as one workspace's (its Slack calls use that workspace's token): scheduled checks. */
    inWorkspace: <T>(teamId: string, work: () => Promise<T>): Promise<T> => workspaces.run(teamId, work),
    people: new PeopleDirectory(slack, logger.child({ component: 'people' })),
    slack,
    agent,
    logger,
    /** What the use cases count for /metrics (NO_METRICS when METRICS_PORT is unset). */
    metrics,
    runner: new WorkRunner(logger),
    contextBudgetTokens: config.maxContextTokens,
    /** The clock adopted checks are scheduled by (tests move it). */
    checkClock: tuning.checkScheduler?.now ?? (() => new Date()),
    dataToolCallsPerAnswer: config.dataToolCallsPerAnswer,
    sandbox,
    diagrams,
    postAnswerSteps: buildPostAnswerSteps(config, { agent, sandbox, stores, files, diagrams }),
    // The read-only data sources (DATA_SOURCES): nothing connects until a data tool is used.
    dataSources: buildDataSourceCatalog(config.dataSources),
    dataToolResultChars: config.dataTools.resultChars,
    statementTables: postgresStatementTables,
    // Files people share in task threads: files.info through the client, bytes from Slack's file host.
    sharedFiles: new SlackSharedFiles(
      client,
      () => workspaces.current().token,
      config.slack.apiUrl,
      tuning.slackCallPolicy,
    ),
    fileLimits: config.files,
  };
}
