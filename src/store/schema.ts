import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

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
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [index('turns_team_task').on(t.teamId, t.taskId, t.id)],
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

export type TaskRow = typeof tasks.$inferSelect;
export type TurnRow = typeof turns.$inferSelect;
