import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { COLLABORATION_ROLES } from '../../core/domain.js';

/**
 * The store's tables in PostgreSQL (DATABASE_URL set), column for column the SQLite schema in
 * `../schema.ts`, which documents what each table and column is for; `test/unit/schema-parity.test.ts`
 * fails when the two drift. Same names and the same values in JavaScript: times are Unix milliseconds
 * (bigint read as a number), flags are booleans, JSON columns are jsonb.
 */

const now = sql`((extract(epoch from clock_timestamp()) * 1000)::bigint)`;

/** Unix milliseconds: bigint, read as a JavaScript number (safe until the year 285,616). */
const millis = (name: string) => bigint(name, { mode: 'number' });
const id = () => integer('id').primaryKey().generatedByDefaultAsIdentity();
const createdAt = () => millis('created_at').notNull().default(now);
const tokenCounts = () => ({
  inputTokens: integer('input_tokens').notNull().default(0),
  outputTokens: integer('output_tokens').notNull().default(0),
  cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
  cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
});
const SEVERITIES = ['critical', 'warning', 'info'] as const;

export const tasks = pgTable(
  'tasks',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    threadTs: text('thread_ts'),
    requesterId: text('requester_id').notNull(),
    source: text('source', { enum: ['command', 'mention', 'dm'] }).notNull(),
    text: text('text').notNull(),
    title: text('title').notNull(),
    status: text('status', { enum: ['queued', 'running', 'waiting_for_answers', 'done', 'failed'] })
      .notNull()
      .default('queued'),
    answerTs: text('answer_ts'),
    failureReason: text('failure_reason'),
    stopControlTs: text('stop_control_ts'),
    contextTrimmed: boolean('context_trimmed').notNull().default(false),
    model: text('model'),
    ...tokenCounts(),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: millis('updated_at').notNull().default(now),
    completedAt: millis('completed_at'),
  },
  (t) => [
    index('tasks_team_channel_created').on(t.teamId, t.channelId, t.createdAt),
    index('tasks_team_status').on(t.teamId, t.status),
    index('tasks_team_channel_status').on(t.teamId, t.channelId, t.status),
    index('tasks_team_channel_completed').on(t.teamId, t.channelId, t.completedAt),
    index('tasks_team_requester_created').on(t.teamId, t.requesterId, t.createdAt),
    uniqueIndex('tasks_team_channel_thread').on(t.teamId, t.channelId, t.threadTs),
  ],
);

export const turns = pgTable(
  'turns',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    content: text('content').notNull(),
    userId: text('user_id'),
    slackTs: text('slack_ts'),
    messageTs: jsonb('message_ts').$type<string[]>(),
    ...tokenCounts(),
    createdAt: createdAt(),
  },
  (t) => [
    index('turns_team_task').on(t.teamId, t.taskId, t.id),
    index('turns_team_created').on(t.teamId, t.createdAt),
    index('turns_team_slack_ts').on(t.teamId, t.slackTs),
  ],
);

export const eventsSeen = pgTable(
  'events_seen',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    deliveryId: text('delivery_id'),
    channelId: text('channel_id'),
    messageTs: text('message_ts'),
    taskId: integer('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('events_seen_team_delivery').on(t.teamId, t.deliveryId),
    uniqueIndex('events_seen_team_channel_ts').on(t.teamId, t.channelId, t.messageTs),
  ],
);

export const owners = pgTable(
  'owners',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull().default(''),
    role: text('role', { enum: COLLABORATION_ROLES }).notNull(),
    kind: text('kind', { enum: ['user', 'group'] }).notNull(),
    targetId: text('target_id').notNull(),
    setBy: text('set_by').notNull(),
    updatedAt: millis('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('owners_team_channel_role').on(t.teamId, t.channelId, t.role)],
);

export const collaborationRequests = pgTable(
  'collaboration_requests',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    channelId: text('channel_id').notNull(),
    threadTs: text('thread_ts').notNull(),
    role: text('role', { enum: COLLABORATION_ROLES }).notNull(),
    topic: text('topic').notNull(),
    topicKey: text('topic_key').notNull(),
    request: text('request').notNull(),
    reason: text('reason').notNull(),
    ownerKind: text('owner_kind', { enum: ['user', 'group'] }),
    ownerId: text('owner_id'),
    status: text('status', { enum: ['open', 'acknowledged', 'done'] })
      .notNull()
      .default('open'),
    pingedAt: millis('pinged_at'),
    pingTs: text('ping_ts'),
    guidedAt: millis('guided_at'),
    invitedAt: millis('invited_at'),
    announcing: text('announcing', { enum: ['ping', 'guidance', 'invite'] }),
    acknowledgedBy: text('acknowledged_by'),
    acknowledgedAt: millis('acknowledged_at'),
    doneBy: text('done_by'),
    doneAt: millis('done_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('collaboration_team_task_role_topic').on(t.teamId, t.taskId, t.role, t.topicKey),
    index('collaboration_team_channel_status').on(t.teamId, t.channelId, t.status, t.createdAt),
    index('collaboration_team_role_unassigned').on(t.teamId, t.role, t.ownerId, t.status),
    index('collaboration_team_owner_status').on(t.teamId, t.ownerId, t.status),
  ],
);

export const digestSettings = pgTable(
  'digest_settings',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    time: text('time'),
    timeZone: text('time_zone'),
    updatedBy: text('updated_by').notNull(),
    updatedAt: millis('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('digest_settings_team_channel').on(t.teamId, t.channelId)],
);

export const digestRuns = pgTable(
  'digest_runs',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    localDate: text('local_date').notNull(),
    status: text('status', { enum: ['posting', 'posted', 'empty', 'unchanged', 'failed'] }).notNull(),
    parentTs: text('parent_ts'),
    fingerprint: text('fingerprint'),
    error: text('error'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('digest_runs_team_channel_date').on(t.teamId, t.channelId, t.localDate)],
);

export const jobs = pgTable(
  'jobs',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    state: text('state', { enum: ['queued', 'running'] })
      .notNull()
      .default('queued'),
    payload: jsonb('payload').$type<Record<string, string>>(),
    attempts: integer('attempts').notNull().default(0),
    runAt: millis('run_at').notNull().default(now),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: millis('lease_expires_at'),
    lastError: text('last_error'),
    stopRequestedBy: text('stop_requested_by'),
    createdAt: createdAt(),
  },
  (t) => [index('jobs_state_run_at').on(t.state, t.runAt), index('jobs_task_state').on(t.taskId, t.state)],
);

export const dailyUsage = pgTable(
  'daily_usage',
  {
    teamId: text('team_id').notNull(),
    day: text('day').notNull(),
    // A whole workspace's day may pass 2^31 tokens.
    tokens: bigint('tokens', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.day] })],
);

export const admissions = pgTable(
  'admissions',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    userId: text('user_id').notNull(),
    at: millis('at').notNull().default(now),
  },
  (t) => [index('admissions_team_user_at').on(t.teamId, t.userId, t.at)],
);

export const jobUsers = pgTable(
  'job_users',
  {
    teamId: text('team_id').notNull(),
    userId: text('user_id').notNull(),
    lastClaimedAt: millis('last_claimed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] })],
);

export const workers = pgTable('workers', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  processStartedAt: millis('process_started_at').notNull(),
  heartbeatAt: millis('heartbeat_at').notNull(),
  pidNamespace: text('pid_namespace'),
  bootId: text('boot_id'),
});

export const dictionaryInputs = pgTable(
  'dictionary_inputs',
  {
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    input: jsonb('input').notNull(),
    updatedAt: millis('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.taskId] })],
);

export const artifactUploads = pgTable(
  'artifact_uploads',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    turnId: integer('turn_id').notNull(),
    kind: text('kind', { enum: ['code', 'diagram', 'dictionary'] }).notNull(),
    title: text('title').notNull(),
    fileId: text('file_id'),
    state: text('state', { enum: ['claimed', 'uploaded', 'deleted'] })
      .notNull()
      .default('claimed'),
    contentHash: text('content_hash'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('artifact_uploads_turn_title').on(t.teamId, t.turnId, t.title),
    index('artifact_uploads_task_kind').on(t.teamId, t.taskId, t.kind, t.state),
  ],
);

export const designs = pgTable(
  'designs',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    requesterId: text('requester_id').notNull(),
    threadTs: text('thread_ts').notNull(),
    files: jsonb('files').$type<string[]>().notNull(),
    createdAt: createdAt(),
    updatedAt: millis('updated_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('designs_team_task').on(t.teamId, t.taskId),
    index('designs_team_channel_updated').on(t.teamId, t.channelId, t.updatedAt),
  ],
);

export const answerSteps = pgTable(
  'answer_steps',
  {
    teamId: text('team_id').notNull(),
    turnId: integer('turn_id')
      .notNull()
      .references(() => turns.id, { onDelete: 'cascade' }),
    step: text('step').notNull(),
    position: integer('position').notNull(),
    state: text('state', { enum: ['pending', 'claimed', 'done'] })
      .notNull()
      .default('pending'),
    results: jsonb('results').$type<Record<string, unknown>>(),
    updatedAt: millis('updated_at').notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.turnId, t.step] }),
    index('answer_steps_team_turn').on(t.teamId, t.turnId),
  ],
);

export const answerFeedback = pgTable(
  'answer_feedback',
  {
    teamId: text('team_id').notNull(),
    turnId: integer('turn_id')
      .notNull()
      .references(() => turns.id, { onDelete: 'cascade' }),
    taskId: integer('task_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    vote: text('vote', { enum: ['up', 'down'] }).notNull(),
    comment: text('comment'),
    changes: integer('changes').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: millis('updated_at').notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.turnId, t.userId] }),
    index('answer_feedback_team_channel_updated').on(t.teamId, t.channelId, t.updatedAt),
  ],
);

export const assistantThreads = pgTable(
  'assistant_threads',
  {
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    threadTs: text('thread_ts').notNull(),
    userId: text('user_id').notNull(),
    contextChannelId: text('context_channel_id'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.channelId, t.threadTs] }),
    index('assistant_threads_team_created').on(t.teamId, t.createdAt),
  ],
);

export const proposedChecks = pgTable(
  'proposed_checks',
  {
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    sql: text('sql').notNull(),
    expectation: jsonb('expectation').notNull(),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    sandboxObserved: text('sandbox_observed').notNull(),
    sandboxPassed: boolean('sandbox_passed').notNull(),
    offeredTurnId: integer('offered_turn_id'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.taskId, t.name] })],
);

export const qualityChecks = pgTable(
  'quality_checks',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    taskId: integer('task_id').notNull(),
    threadTs: text('thread_ts').notNull(),
    name: text('name').notNull(),
    sql: text('sql').notNull(),
    expectation: jsonb('expectation').notNull(),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    sourceName: text('source_name').notNull(),
    schedule: jsonb('schedule').notNull(),
    timeZone: text('time_zone').notNull(),
    adoptedBy: text('adopted_by').notNull(),
    adoptedAt: millis('adopted_at').notNull(),
    state: text('state', { enum: ['active', 'paused'] })
      .notNull()
      .default('active'),
    lastSlotAt: millis('last_slot_at').notNull(),
    nextSlotAt: millis('next_slot_at'),
    alert: jsonb('alert').notNull(),
    snoozedUntil: millis('snoozed_until'),
  },
  (t) => [
    uniqueIndex('quality_checks_team_channel_name').on(t.teamId, t.channelId, t.name),
    index('quality_checks_state_next').on(t.state, t.nextSlotAt),
    index('quality_checks_team_adopter').on(t.teamId, t.adoptedBy),
  ],
);

export const checkRuns = pgTable(
  'check_runs',
  {
    teamId: text('team_id').notNull(),
    checkId: integer('check_id')
      .notNull()
      .references(() => qualityChecks.id, { onDelete: 'cascade' }),
    slotAt: millis('slot_at').notNull(),
    result: text('result', { enum: ['passed', 'failed', 'error'] }),
    observed: text('observed'),
    action: text('action', { enum: ['none', 'failure', 'recovery', 'flapping'] }),
    announcedTs: text('announced_ts'),
    acknowledgedBy: text('acknowledged_by'),
    falsePositive: boolean('false_positive').notNull().default(false),
    announceClaimedAt: millis('announce_claimed_at'),
    announceAttempts: integer('announce_attempts').notNull().default(0),
    startedAt: millis('started_at').notNull(),
    finishedAt: millis('finished_at'),
  },
  (t) => [
    primaryKey({ columns: [t.checkId, t.slotAt] }),
    index('check_runs_team_check').on(t.teamId, t.checkId),
    index('check_runs_result_started').on(t.result, t.startedAt),
  ],
);

export const checkPings = pgTable(
  'check_pings',
  {
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    pingedAt: millis('pinged_at').notNull(),
  },
  (t) => [index('check_pings_team_channel_at').on(t.teamId, t.channelId, t.pingedAt)],
);

export const threadFiles = pgTable(
  'thread_files',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    threadTs: text('thread_ts').notNull(),
    fileId: text('file_id').notNull(),
    messageTs: text('message_ts').notNull(),
    name: text('name'),
    tableName: text('table_name'),
    status: text('status', { enum: ['new', 'read', 'refused'] })
      .notNull()
      .default('new'),
    detail: text('detail'),
    replyState: text('reply_state', { enum: ['claimed', 'done'] }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('thread_files_team_thread_file').on(t.teamId, t.channelId, t.threadTs, t.fileId),
    index('thread_files_team_created').on(t.teamId, t.createdAt),
  ],
);

export const channelDataSources = pgTable(
  'channel_data_sources',
  {
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    sourceName: text('source_name').notNull(),
    setBy: text('set_by').notNull(),
    setAt: millis('set_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.channelId] })],
);

export const dataToolCalls = pgTable(
  'data_tool_calls',
  {
    id: id(),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    taskId: integer('task_id').notNull(),
    sourceName: text('source_name').notNull(),
    tool: text('tool').notNull(),
    statement: text('statement').notNull(),
    rowsReturned: integer('rows_returned').notNull().default(0),
    durationMs: integer('duration_ms').notNull().default(0),
    refused: boolean('refused').notNull().default(false),
    reason: text('reason'),
    createdAt: createdAt(),
  },
  (t) => [
    index('data_tool_calls_team_created').on(t.teamId, t.createdAt),
    index('data_tool_calls_team_channel_created').on(t.teamId, t.channelId, t.createdAt),
  ],
);

export const channelContexts = pgTable(
  'channel_contexts',
  {
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    text: text('text').notNull(),
    setBy: text('set_by').notNull(),
    setAt: millis('set_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.channelId] })],
);

export const installations = pgTable(
  'installations',
  {
    installationKey: text('installation_key').primaryKey(),
    enterpriseId: text('enterprise_id'),
    teamId: text('team_id'),
    isEnterpriseInstall: boolean('is_enterprise_install').notNull().default(false),
    appId: text('app_id'),
    botId: text('bot_id').notNull(),
    botUserId: text('bot_user_id').notNull(),
    botScopes: text('bot_scopes').notNull(),
    botTokenSealed: text('bot_token_sealed').notNull(),
    tokenKeyId: text('token_key_id').notNull(),
    installerUserId: text('installer_user_id'),
    url: text('url'),
    installedAt: millis('installed_at').notNull().default(now),
    updatedAt: millis('updated_at').notNull().default(now),
  },
  (t) => [index('installations_team').on(t.teamId), index('installations_enterprise').on(t.enterpriseId)],
);

export const enterpriseWorkspaces = pgTable('enterprise_workspaces', {
  teamId: text('team_id').primaryKey(),
  enterpriseId: text('enterprise_id').notNull(),
  seenAt: millis('seen_at').notNull().default(now),
});

/*
 * PostgreSQL only: the answer queue's books beside graphile-worker's own schema (the SQLite store has
 * its own queue in `jobs`, which holds the same facts).
 */

/** Which graphile-worker pools and workers (jobs are locked under their ids) belong to which bot process. */
export const answerQueueWorkers = pgTable(
  'answer_queue_workers',
  {
    workerId: text('worker_id').primaryKey(),
    processId: text('process_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('answer_queue_workers_process').on(t.processId)],
);

/** Stop pressed on an answer that runs in another process: that process aborts it on its next beat. */
export const answerStops = pgTable(
  'answer_stops',
  {
    teamId: text('team_id').notNull(),
    taskId: integer('task_id').notNull(),
    userId: text('user_id').notNull(),
    requestedAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.taskId] })],
);
