import type Database from 'better-sqlite3';
import type { DeliveryKey, Task } from '../core/domain.js';
import type { JobPayload } from '../core/jobs/jobs.js';
import type { NewTask } from '../core/tasks/task-store.js';

/** One task to create: the task with its first turn, the delivery that brought it, its job's payload. */
export type Creation = { input: NewTask; delivery: DeliveryKey; job: JobPayload };

/**
 * The statements of a task's creation, plain SQL prepared once per connection. They run on the ack
 * path, up to hundreds per group commit: drizzle's prepared queries (parameter mapping, `RETURNING *`
 * mapped into a row object) cost about as much again as SQLite's own work here, so only the task's id
 * comes back and the Task is built from what was inserted (every other column has its default).
 */
export function creationStatements(sqlite: Database.Database) {
  return {
    recordDelivery: sqlite.prepare<DeliveryRow, { id: number }>(
      `insert into events_seen (team_id, delivery_id, channel_id, message_ts)
       values (@teamId, @deliveryId, @channelId, @messageTs)
       on conflict do nothing returning id`,
    ),
    insertTask: sqlite.prepare<TaskRowIn, { id: number }>(
      `insert into tasks (team_id, channel_id, requester_id, source, text, title, thread_ts)
       values (@teamId, @channelId, @requesterId, @source, @text, @title, @threadTs)
       returning id`,
    ),
    linkDelivery: sqlite.prepare<{ teamId: string; id: number; taskId: number }>(
      'update events_seen set task_id = @taskId where team_id = @teamId and id = @id',
    ),
    insertFirstTurn: sqlite.prepare<TurnRowIn>(
      `insert into turns (team_id, task_id, role, content, user_id, slack_ts)
       values (@teamId, @taskId, 'user', @content, @userId, @slackTs)`,
    ),
    /** One Claude call counted toward USER_TASKS_PER_HOUR (see `admissions` in schema.ts). */
    insertAdmission: sqlite.prepare<{ teamId: string; userId: string; at: number }>(
      'insert into admissions (team_id, user_id, at) values (@teamId, @userId, @at)',
    ),
    /** When the person's `offset + 1`-th newest admission since `since` was made, if they have that many. */
    limitHitAt: sqlite.prepare<
      { teamId: string; userId: string; since: number; offset: number },
      { at: number }
    >(
      `select at from admissions where team_id = @teamId and user_id = @userId and at > @since
        order by at desc limit 1 offset @offset`,
    ),
    /** Undoes a delivery record whose task was refused (over the hourly limit). */
    forgetDelivery: sqlite.prepare<{ teamId: string; id: number }>(
      'delete from events_seen where team_id = @teamId and id = @id',
    ),
  };
}

export type CreationStatements = ReturnType<typeof creationStatements>;

interface DeliveryRow {
  teamId: string;
  deliveryId: string | null;
  channelId: string | null;
  messageTs: string | null;
}

interface TaskRowIn {
  teamId: string;
  channelId: string;
  requesterId: string;
  source: Task['source'];
  text: string;
  title: string;
  threadTs: string | null;
}

interface TurnRowIn {
  teamId: string;
  taskId: number;
  content: string;
  userId: string;
  slackTs: string | null;
}

/** The delivery's row, or undefined when this delivery (its id, or its channel + ts) was recorded before. */
export function recordDelivery(s: CreationStatements, teamId: string, delivery: DeliveryKey) {
  return s.recordDelivery.get({
    teamId,
    deliveryId: delivery.deliveryId ?? null,
    channelId: delivery.channelId ?? null,
    messageTs: delivery.messageTs ?? null,
  });
}

/** Inserts the task, links the delivery to it and stores its first turn (the caller queues its job). */
export function insertTask(s: CreationStatements, input: NewTask, deliveryRowId: number): Task {
  const { teamId, channelId, requesterId, source, text, title } = input;
  const threadTs = input.threadTs ?? null;
  const row = s.insertTask.get({ teamId, channelId, requesterId, source, text, title, threadTs });
  if (!row) throw new Error('task insert returned nothing');
  s.linkDelivery.run({ teamId, id: deliveryRowId, taskId: row.id });
  s.insertFirstTurn.run({
    teamId,
    taskId: row.id,
    content: input.firstTurn.content,
    userId: requesterId,
    slackTs: input.firstTurn.slackTs ?? null,
  });
  return {
    id: row.id,
    teamId,
    channelId,
    threadTs,
    requesterId,
    source,
    text,
    title,
    // The columns' defaults (see `tasks` in schema.ts).
    status: 'queued',
    answerTs: null,
    failureReason: null,
    contextTrimmed: false,
    stopControlTs: null,
  };
}
