import { ClaudeAgent } from '../agent/claude-agent.js';
import { ClaudeHighlightsWriter } from '../agent/highlights-writer.js';
import type { AppTuning } from '../app.js';
import type { Config } from '../config.js';
import { WorkRunner } from '../core/jobs/work-runner.js';
import { UsageLimits } from '../core/limits/limits.js';
import type { Logger } from '../core/logger.js';
import { PeopleDirectory } from '../core/people.js';
import type { createSlackClient } from '../slack/bolt-app.js';
import { SlackGateway } from '../slack/slack-gateway.js';
import { type SlackIdentity, workspaceTimeZone } from '../slack/slack-identity.js';
import { SqliteAssistantThreadStore } from '../store/assistant-repo.js';
import { SqliteCollaborationStore } from '../store/collaboration-repo.js';
import type { OpenDatabase } from '../store/db.js';
import { SqliteDigestStore } from '../store/digest-repo.js';
import { SqliteFeedbackStore } from '../store/feedback-repo.js';
import { SqliteHomeStore } from '../store/home-repo.js';
import { SqliteJobQueue } from '../store/job-repo.js';
import { SqliteLimitStore } from '../store/limits-repo.js';
import { SqliteRetentionStore } from '../store/retention-repo.js';
import { SqliteTaskAdmission } from '../store/task-admission.js';
import { SqliteTaskStore } from '../store/task-repo.js';

export type SlackClient = ReturnType<typeof createSlackClient>;

/** Everything the use cases need that does not depend on the background work: stores, Slack, Claude. */
export type Services = Awaited<ReturnType<typeof buildServices>>;

function buildAgent(config: Config, logger: Logger, tuning: AppTuning): ClaudeAgent {
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
  });
}

function buildStores(database: OpenDatabase, config: Config) {
  const jobs = new SqliteJobQueue(database.sqlite);
  const collaboration = new SqliteCollaborationStore(database.db);
  const store = new SqliteTaskStore(database.db, database.sqlite);
  return {
    jobs,
    store,
    admission: new SqliteTaskAdmission(database.db, database.sqlite, jobs, store),
    retention: new SqliteRetentionStore(database.sqlite),
    collaboration,
    digests: new SqliteDigestStore(database.db, collaboration),
    home: new SqliteHomeStore(database.db),
    feedback: new SqliteFeedbackStore(database.sqlite),
    assistantThreads: new SqliteAssistantThreadStore(database.sqlite),
    limits: new UsageLimits(new SqliteLimitStore(database.sqlite), config.limits),
  };
}

/** Stores over the open database, the Slack gateway, Claude, and the settings the use cases read. */
export async function buildServices(
  config: Config,
  logger: Logger,
  tuning: AppTuning,
  database: OpenDatabase,
  client: SlackClient,
  identity: SlackIdentity,
) {
  const slack = new SlackGateway(client, logger.child({ component: 'slack' }), {
    minWriteIntervalMs: tuning.slackMinWriteIntervalMs,
    firstLineWaitMs: tuning.slackFirstLineWaitMs,
    workspaceUrl: identity.url,
    callPolicy: tuning.slackCallPolicy,
    threadPaging: tuning.slackThreadPaging,
  });
  return {
    ...buildStores(database, config),
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
    botAdmins: config.botAdmins,
    workspaceTeamId: identity.teamId,
    people: new PeopleDirectory(slack, logger.child({ component: 'people' })),
    slack,
    agent: buildAgent(config, logger, tuning),
    logger,
    runner: new WorkRunner(logger),
    contextBudgetTokens: config.maxContextTokens,
  };
}
