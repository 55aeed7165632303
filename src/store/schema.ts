import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { COLLABORATION_ROLES } from '../core/domain.js';

/**
 * Every table carries `team_id` and every query in the repos filters by it: one database may serve
 * several workspaces, and no workspace may ever read another's rows. Times are Unix milliseconds.
 */

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

export const tasks = sqliteTable(
  'tasks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    /** The parent message the conversation lives under (null until it is posted). */
    threadTs: text('thread_ts'),
    requesterId: text('requester_id').notNull(),
    source: text('source', { enum: ['command', 'mention', 'dm'] }).notNull(),
    text: text('text').notNull(),
    title: text('title').notNull(),
    status: text('status', { enum: ['queued', 'running', 'waiting_for_answers', 'done', 'failed'] })
      .notNull()
      .default('queued'),
    /** First message of the answer in the thread, stored as soon as Slack gives it a ts. */
    answerTs: text('answer_ts'),
    failureReason: text('failure_reason'),
    /** The thread message with the Stop button while an answer is being written (null otherwise). */
    stopControlTs: text('stop_control_ts'),
    /** Set once the thread outgrew the context budget and the bot said so in the thread. */
    contextTrimmed: integer('context_trimmed', { mode: 'boolean' }).notNull().default(false),
    model: text('model'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    costUsd: real('cost_usd').notNull().default(0),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
    completedAt: integer('completed_at'),
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

export const turns = sqliteTable(
  'turns',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    content: text('content').notNull(),
    userId: text('user_id'),
    slackTs: text('slack_ts'),
    /**
     * Assistant turns: the ts of every message the answer was written into, stored as each appears
     * (JSON array), so an answer cut short by a crash is rewritten in place when the turn resumes.
     */
    messageTs: text('message_ts', { mode: 'json' }).$type<string[]>(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [
    index('turns_team_task').on(t.teamId, t.taskId, t.id),
    index('turns_team_created').on(t.teamId, t.createdAt),
    // A message deleted or edited in Slack is found by its ts (RETENTION: message_deleted/changed).
    index('turns_team_slack_ts').on(t.teamId, t.slackTs),
  ],
);

/**
 * Idempotency: a delivery from Slack is handled once. Slack retries events with the same event_id and
 * delivers a mention twice (app_mention + message) with the same channel + ts; slash commands carry a
 * unique trigger_id, stored as the delivery id.
 */
export const eventsSeen = sqliteTable(
  'events_seen',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    deliveryId: text('delivery_id'),
    channelId: text('channel_id'),
    messageTs: text('message_ts'),
    taskId: integer('task_id').references(() => tasks.id, { onDelete: 'set null' }),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('events_seen_team_delivery').on(t.teamId, t.deliveryId),
    uniqueIndex('events_seen_team_channel_ts').on(t.teamId, t.channelId, t.messageTs),
  ],
);

/**
 * Who answers for each discipline. `channel_id` is '' for the workspace default (SQLite unique indexes
 * treat NULLs as distinct, so '' keeps one default per role); a channel row overrides it there.
 */
export const owners = sqliteTable(
  'owners',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull().default(''),
    role: text('role', { enum: COLLABORATION_ROLES }).notNull(),
    kind: text('kind', { enum: ['user', 'group'] }).notNull(),
    targetId: text('target_id').notNull(),
    setBy: text('set_by').notNull(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('owners_team_channel_role').on(t.teamId, t.channelId, t.role)],
);

/**
 * A discipline the agent asked to bring in. One row per task, role and topic (normalised), which is
 * what makes a ping happen at most once across follow-ups, retries and restarts. `pinged_at` and
 * `guided_at` are claimed before the message is posted, so two workers never post the same one;
 * `announcing` names the post claimed but not yet confirmed (a crash or a failed post in between):
 * the next run looks it up in the thread by its metadata key before posting it.
 */
export const collaborationRequests = sqliteTable(
  'collaboration_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
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
    pingedAt: integer('pinged_at'),
    pingTs: text('ping_ts'),
    guidedAt: integer('guided_at'),
    /** The "owner isn't in this conversation" note was posted (its own claim: a request that began without an owner got the guidance one). */
    invitedAt: integer('invited_at'),
    announcing: text('announcing', { enum: ['ping', 'guidance', 'invite'] }),
    acknowledgedBy: text('acknowledged_by'),
    acknowledgedAt: integer('acknowledged_at'),
    doneBy: text('done_by'),
    doneAt: integer('done_at'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('collaboration_team_task_role_topic').on(t.teamId, t.taskId, t.role, t.topicKey),
    index('collaboration_team_channel_status').on(t.teamId, t.channelId, t.status, t.createdAt),
    index('collaboration_team_role_unassigned').on(t.teamId, t.role, t.ownerId, t.status),
    index('collaboration_team_owner_status').on(t.teamId, t.ownerId, t.status),
  ],
);

/** A channel's own digest schedule; channels without a row use DIGEST_TIME / DIGEST_TIMEZONE. */
export const digestSettings = sqliteTable(
  'digest_settings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    /** HH:MM, 24-hour; null = the configured default. */
    time: text('time'),
    /** IANA zone; null = the configured default. */
    timeZone: text('time_zone'),
    updatedBy: text('updated_by').notNull(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('digest_settings_team_channel').on(t.teamId, t.channelId)],
);

/**
 * One scheduled digest per channel and local day: the row is claimed before anything is posted, so
 * two instances, or a restart, never post the same day twice.
 */
export const digestRuns = sqliteTable(
  'digest_runs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    /** YYYY-MM-DD in the channel's digest time zone. */
    localDate: text('local_date').notNull(),
    /** unchanged: nothing new since the last digest posted here, and its weekly reminder is not due. */
    status: text('status', { enum: ['posting', 'posted', 'empty', 'unchanged', 'failed'] }).notNull(),
    parentTs: text('parent_ts'),
    /** What a posted digest's standing items were (waiting tasks, open requests): "changed since?" */
    fingerprint: text('fingerprint'),
    error: text('error'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [uniqueIndex('digest_runs_team_channel_date').on(t.teamId, t.channelId, t.localDate)],
);

/**
 * The durable work queue: a row is written before anything slow happens, and a worker holds a lease
 * while it runs the job. A job whose lease expired (its process died) is claimed again; at most one job
 * per task runs at a time, which is what keeps one generation per thread across processes.
 */
export const jobs = sqliteTable(
  'jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    state: text('state', { enum: ['queued', 'running'] })
      .notNull()
      .default('queued'),
    /** Facts the job needs that are not in the task (e.g. the command's response_url). JSON. */
    payload: text('payload', { mode: 'json' }).$type<Record<string, string>>(),
    attempts: integer('attempts').notNull().default(0),
    runAt: integer('run_at').notNull().default(now),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: integer('lease_expires_at'),
    lastError: text('last_error'),
    /** Someone pressed Stop while another process runs the job: that process aborts it (user id). */
    stopRequestedBy: text('stop_requested_by'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [index('jobs_state_run_at').on(t.state, t.runAt), index('jobs_task_state').on(t.taskId, t.state)],
);

/**
 * Claude tokens each workspace used per UTC day (`day` is YYYY-MM-DD), added up as answers store their
 * usage: DAILY_TOKEN_BUDGET is checked with one lookup, and keeps counting whatever happens to old turns.
 */
export const dailyUsage = sqliteTable(
  'daily_usage',
  {
    teamId: text('team_id').notNull(),
    day: text('day').notNull(),
    tokens: integer('tokens').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.day] })],
);

/**
 * Each new task, follow-up and accepted Retry, by whom and when: USER_TASKS_PER_HOUR counts these
 * rows, which deleting or editing a message in Slack never touches (turns it does), so a deleted
 * reply still counts. Rows older than a day are useless to the hourly limit and are pruned daily.
 */
export const admissions = sqliteTable(
  'admissions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    userId: text('user_id').notNull(),
    at: integer('at').notNull().default(now),
  },
  (t) => [index('admissions_team_user_at').on(t.teamId, t.userId, t.at)],
);

/**
 * When the queue last took work for each person: the next job is the oldest one of the person served
 * longest ago (round-robin), so one person's burst never holds back another's first answer.
 */
export const jobUsers = sqliteTable(
  'job_users',
  {
    teamId: text('team_id').notNull(),
    userId: text('user_id').notNull(),
    lastClaimedAt: integer('last_claimed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] })],
);

/**
 * One row per running job worker (process): the lease owner of its jobs, its host and pid and when it
 * last beat. A starting worker takes over at once the jobs of workers known to be dead
 * (src/core/worker-liveness.ts) instead of waiting for their leases to expire.
 */
export const workers = sqliteTable('workers', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  processStartedAt: integer('process_started_at').notNull(),
  heartbeatAt: integer('heartbeat_at').notNull(),
  /**
   * The pid namespace (`readlink /proc/self/ns/pid`) and boot (`/proc/sys/kernel/random/boot_id`) the
   * pid belongs to, null where unknown: two containers may share a hostname yet not their pids.
   */
  pidNamespace: text('pid_namespace'),
  bootId: text('boot_id'),
});

/**
 * The table and column descriptions the agent gave with `publish_data_dictionary`, one row per task
 * (a later call replaces the tables it names and keeps the others): the dictionary of every answer of
 * the task is built from these and the tables as the sandbox created them.
 */
export const dictionaryInputs = sqliteTable(
  'dictionary_inputs',
  {
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    /** The tool's validated input (DataDictionaryInput), merged by table. */
    input: text('input', { mode: 'json' }).notNull(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.taskId] })],
);

/**
 * Every file the bot hands over in a thread (code, diagram, dictionary), claimed before it is uploaded
 * and keyed by the answer (turn) and its title, so a retried job never uploads it twice: a claimed row
 * without a file id is looked up in the thread before it is uploaded again. `state` is `deleted` once a
 * newer dictionary replaced it (files.delete).
 */
export const artifactUploads = sqliteTable(
  'artifact_uploads',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    turnId: integer('turn_id').notNull(),
    kind: text('kind', { enum: ['code', 'diagram', 'dictionary'] }).notNull(),
    title: text('title').notNull(),
    /** Slack's file id once the upload is known to be shared. */
    fileId: text('file_id'),
    state: text('state', { enum: ['claimed', 'uploaded', 'deleted'] })
      .notNull()
      .default('claimed'),
    /** The dictionary's CSV hash: an unchanged dictionary is not posted again. */
    contentHash: text('content_hash'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('artifact_uploads_turn_title').on(t.teamId, t.turnId, t.title),
    index('artifact_uploads_task_kind').on(t.teamId, t.taskId, t.kind, t.state),
  ],
);

/**
 * The design index (`/data-engineer designs`): one row per task whose answers delivered files, with
 * the files' names; updated when a follow-up delivers new ones. Newest first per channel.
 */
export const designs = sqliteTable(
  'designs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    requesterId: text('requester_id').notNull(),
    threadTs: text('thread_ts').notNull(),
    files: text('files', { mode: 'json' }).$type<string[]>().notNull(),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('designs_team_task').on(t.teamId, t.taskId),
    index('designs_team_channel_updated').on(t.teamId, t.channelId, t.updatedAt),
  ],
);

/**
 * The steps that run after an answer is posted (block checks, repair, file deliverables: see
 * src/core/post-answer.ts), one row per answer turn and step. All of a turn's rows are written
 * ('pending') before the first step runs, so a crash anywhere leaves a record of what is left; a step is
 * 'claimed' before it runs and 'done' after, so a step found claimed was cut short and knows to look
 * for its posts (by metadata key) before posting again. `results` is the shared results object as
 * the step left it (JSON), so later steps of a resumed run still see what earlier ones found.
 */
export const answerSteps = sqliteTable(
  'answer_steps',
  {
    teamId: text('team_id').notNull(),
    turnId: integer('turn_id')
      .notNull()
      .references(() => turns.id, { onDelete: 'cascade' }),
    step: text('step').notNull(),
    /** Position in the registered list: rows are read in this order. */
    position: integer('position').notNull(),
    state: text('state', { enum: ['pending', 'claimed', 'done'] })
      .notNull()
      .default('pending'),
    results: text('results', { mode: 'json' }).$type<Record<string, unknown>>(),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.turnId, t.step] }),
    index('answer_steps_team_turn').on(t.teamId, t.turnId),
  ],
);

export type TaskRow = typeof tasks.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type CollaborationRequestRow = typeof collaborationRequests.$inferSelect;
export type TurnRow = typeof turns.$inferSelect;

/**
 * Feedback on answers (👍/👎 under each final answer): one vote per person per answer (an assistant
 * turn), changeable a few times (`changes`), with an optional note on what was wrong. Bounded by
 * construction: at most one row per person who can see the answer.
 */
export const answerFeedback = sqliteTable(
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
    /** What was wrong (the 👎 form), at most 1,000 characters; null when not given or voted 👍. */
    comment: text('comment'),
    changes: integer('changes').notNull().default(0),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.turnId, t.userId] }),
    // `/data-engineer usage`: a channel's votes in a period.
    index('answer_feedback_team_channel_updated').on(t.teamId, t.channelId, t.updatedAt),
  ],
);

/**
 * Threads of the app's AI side panel / DM (Slack's `assistant_thread_started`): a message in one is a
 * task for the bot, answered in that thread, even before the bot owns the thread.
 */
export const assistantThreads = sqliteTable(
  'assistant_threads',
  {
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    threadTs: text('thread_ts').notNull(),
    userId: text('user_id').notNull(),
    /** The channel the person was looking at when they opened the panel (Slack's context), if any. */
    contextChannelId: text('context_channel_id'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.channelId, t.threadTs] }),
    index('assistant_threads_team_created').on(t.teamId, t.createdAt),
  ],
);

/**
 * Checks an answer proposed (the agent's tool, validated in the answer's sandbox) until someone adopts
 * them (issue 17). One row per task and check name; a name proposed again replaces the row.
 */
export const proposedChecks = sqliteTable(
  'proposed_checks',
  {
    teamId: text('team_id').notNull(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    sql: text('sql').notNull(),
    expectation: text('expectation', { mode: 'json' }).notNull(),
    severity: text('severity', { enum: ['critical', 'warning', 'info'] }).notNull(),
    sandboxObserved: text('sandbox_observed').notNull(),
    sandboxPassed: integer('sandbox_passed', { mode: 'boolean' }).notNull(),
    /** The answer whose "Adopt these checks" message offered it; null until offered (again, if re-proposed). */
    offeredTurnId: integer('offered_turn_id'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.taskId, t.name] })],
);

/** Adopted checks: run on their schedule against the channel's read-only source. */
export const qualityChecks = sqliteTable(
  'quality_checks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    taskId: integer('task_id').notNull(),
    threadTs: text('thread_ts').notNull(),
    name: text('name').notNull(),
    sql: text('sql').notNull(),
    expectation: text('expectation', { mode: 'json' }).notNull(),
    severity: text('severity', { enum: ['critical', 'warning', 'info'] }).notNull(),
    sourceName: text('source_name').notNull(),
    schedule: text('schedule', { mode: 'json' }).notNull(),
    timeZone: text('time_zone').notNull(),
    adoptedBy: text('adopted_by').notNull(),
    adoptedAt: integer('adopted_at').notNull(),
    state: text('state', { enum: ['active', 'paused'] })
      .notNull()
      .default('active'),
    lastSlotAt: integer('last_slot_at').notNull(),
    /** The next slot after lastSlotAt (the scheduler selects by it); null when the schedule has none. */
    nextSlotAt: integer('next_slot_at'),
    alert: text('alert', { mode: 'json' }).notNull(),
    /** Failures are not posted before this (Snooze 24 h on a failure post); null when not snoozed. */
    snoozedUntil: integer('snoozed_until'),
  },
  (t) => [
    uniqueIndex('quality_checks_team_channel_name').on(t.teamId, t.channelId, t.name),
    index('quality_checks_state_next').on(t.state, t.nextSlotAt),
    // The Home tab: the checks a person adopted.
    index('quality_checks_team_adopter').on(t.teamId, t.adoptedBy),
  ],
);

/** One row per check and slot: the unique key is what makes a slot run at most once. */
export const checkRuns = sqliteTable(
  'check_runs',
  {
    teamId: text('team_id').notNull(),
    checkId: integer('check_id')
      .notNull()
      .references(() => qualityChecks.id, { onDelete: 'cascade' }),
    slotAt: integer('slot_at').notNull(),
    result: text('result', { enum: ['passed', 'failed', 'error'] }),
    observed: text('observed'),
    /** What the thread is told about this run (alert-policy.ts); 'none' for most runs. */
    action: text('action', { enum: ['none', 'failure', 'recovery', 'flapping'] }),
    /** The thread post of `action` once it landed: a run finished but not announced is announced after a crash. */
    announcedTs: text('announced_ts'),
    /** Who pressed Acknowledge on this run's failure post. */
    acknowledgedBy: text('acknowledged_by'),
    /** Marked a false positive from its failure post: counted as passed in pass rates. */
    falsePositive: integer('false_positive', { mode: 'boolean' }).notNull().default(false),
    /** Who is posting `action` (a process claims the post before making it) and how often it tried. */
    announceClaimedAt: integer('announce_claimed_at'),
    announceAttempts: integer('announce_attempts').notNull().default(0),
    startedAt: integer('started_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [
    primaryKey({ columns: [t.checkId, t.slotAt] }),
    index('check_runs_team_check').on(t.teamId, t.checkId),
    // The runner's scans: runs cut short (no result) and finished runs not yet announced.
    index('check_runs_result_started').on(t.result, t.startedAt),
  ],
);

/** QA-owner pings from failing checks, per channel: a bounded number a day, whatever checks come and go. */
export const checkPings = sqliteTable(
  'check_pings',
  {
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    pingedAt: integer('pinged_at').notNull(),
  },
  (t) => [index('check_pings_team_channel_at').on(t.teamId, t.channelId, t.pingedAt)],
);

/**
 * Files people shared in a task's thread (or in the message that started it), recorded when the message
 * arrives (by thread, so the task's job sees them) and read by every later answer of that thread. Only
 * Slack's file id and what the bot learnt about it are kept, never the file's bytes. `replyState` makes the
 * bot's one message per file (read / not read and why) exactly-once across retries and crashes.
 */
export const threadFiles = sqliteTable(
  'thread_files',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    threadTs: text('thread_ts').notNull(),
    fileId: text('file_id').notNull(),
    /** The message that shared it. */
    messageTs: text('message_ts').notNull(),
    /** From files.info once read; null until then. */
    name: text('name'),
    /** The sandbox table the file becomes (stable across the thread's answers). */
    tableName: text('table_name'),
    status: text('status', { enum: ['new', 'read', 'refused'] })
      .notNull()
      .default('new'),
    /** "1,204 rows × 5 columns", or why it was refused. */
    detail: text('detail'),
    replyState: text('reply_state', { enum: ['claimed', 'done'] }),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('thread_files_team_thread_file').on(t.teamId, t.channelId, t.threadTs, t.fileId),
    index('thread_files_team_created').on(t.teamId, t.createdAt),
  ],
);

/**
 * Which configured data source (DATA_SOURCES, by name) a channel's tasks may read: one per channel,
 * set and removed by admins with `/data-engineer sources use|remove`. A channel without a row has no
 * data tools. Only the name is stored, never a connection string.
 */
export const channelDataSources = sqliteTable(
  'channel_data_sources',
  {
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    sourceName: text('source_name').notNull(),
    setBy: text('set_by').notNull(),
    setAt: integer('set_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.channelId] })],
);

/**
 * Every call of an agent data tool (list_tables … run_query), refused or failed ones too: who asked
 * (the task's requester), where, which source and tool, the statement or target (cut to 4,000
 * characters), rows returned and time taken. Shown by `/data-engineer audit`; pruned after RETENTION_DAYS.
 */
export const dataToolCalls = sqliteTable(
  'data_tool_calls',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    userId: text('user_id').notNull(),
    taskId: integer('task_id').notNull(),
    sourceName: text('source_name').notNull(),
    tool: text('tool').notNull(),
    statement: text('statement').notNull(),
    rowsReturned: integer('rows_returned').notNull().default(0),
    durationMs: integer('duration_ms').notNull().default(0),
    refused: integer('refused', { mode: 'boolean' }).notNull().default(false),
    /** Why it was refused or failed (the guard's or the engine's safe words); null when it succeeded. */
    reason: text('reason'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [
    index('data_tool_calls_team_created').on(t.teamId, t.createdAt),
    index('data_tool_calls_team_channel_created').on(t.teamId, t.channelId, t.createdAt),
  ],
);

/**
 * A channel's standing facts for the agent ("Snowflake + dbt + Airflow; PII stays in `secure`"), set
 * by admins with `/data-engineer context set`; sent with every task there after the cached prompt.
 */
export const channelContexts = sqliteTable(
  'channel_contexts',
  {
    teamId: text('team_id').notNull(),
    channelId: text('channel_id').notNull(),
    text: text('text').notNull(),
    setBy: text('set_by').notNull(),
    setAt: integer('set_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.channelId] })],
);

/**
 * One row per Slack install (OAuth v2, several workspaces): a workspace's own install
 * (`T:<team_id>`) or an Enterprise Grid organisation-wide one (`E:<enterprise_id>`, team_id null,
 * serving every workspace of the organisation). The bot token is sealed with AES-256-GCM under
 * TOKEN_ENCRYPTION_KEY (`token_key_id` names the key, for rotation); it is never stored in clear.
 * A reinstall updates the row; `app_uninstalled` / `tokens_revoked` delete it with the workspace's data.
 */
export const installations = sqliteTable(
  'installations',
  {
    installationKey: text('installation_key').primaryKey(),
    enterpriseId: text('enterprise_id'),
    teamId: text('team_id'),
    isEnterpriseInstall: integer('is_enterprise_install', { mode: 'boolean' }).notNull().default(false),
    appId: text('app_id'),
    botId: text('bot_id').notNull(),
    botUserId: text('bot_user_id').notNull(),
    botScopes: text('bot_scopes').notNull(),
    botTokenSealed: text('bot_token_sealed').notNull(),
    tokenKeyId: text('token_key_id').notNull(),
    installerUserId: text('installer_user_id'),
    /** The workspace's (or organisation's) web address, for message links. */
    url: text('url'),
    installedAt: integer('installed_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [index('installations_team').on(t.teamId), index('installations_enterprise').on(t.enterpriseId)],
);

/**
 * Workspaces seen under an organisation-wide install: events carry both ids, queued jobs only the
 * team's, so this is how a job finds its organisation's token. Deleted with the workspace's data.
 */
export const enterpriseWorkspaces = sqliteTable('enterprise_workspaces', {
  teamId: text('team_id').primaryKey(),
  enterpriseId: text('enterprise_id').notNull(),
  seenAt: integer('seen_at').notNull().default(now),
});
