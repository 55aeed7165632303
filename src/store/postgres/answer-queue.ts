import { sql } from 'drizzle-orm';
import {
  Logger as GraphileLogger,
  type JobHelpers,
  type Runner,
  run,
  runMigrations,
  type WorkerEvents,
} from 'graphile-worker';
import type pg from 'pg';
import { JobAbortedError } from '../../core/errors.js';
import type { AnswerQueue, Job, JobPayload } from '../../core/jobs/jobs.js';
import type { Logger } from '../../core/logger.js';
import type { QueueStats } from '../../core/metrics.js';
import type { PgDb } from './db.js';
import type { PgTx } from './locks.js';

/**
 * The answer queue on PostgreSQL: graphile-worker (0.17, the last line for Node 20), chosen over
 * pg-boss because
 * - a job is queued by calling its SQL function inside our own transaction, so a task and its job
 *   commit together (nothing admitted is ever without its job, nothing queued without its task);
 * - `queue_name` runs a named queue's jobs one at a time across every instance: one queue per task
 *   keeps one answer per thread running, anywhere;
 * - `job_key` keeps one waiting job per task (a reply while the task waits joins its job; a reply
 *   while it runs queues exactly one more), which is our SQLite queue's rule;
 * - workers hear new jobs by LISTEN/NOTIFY (a job starts within milliseconds, not a poll interval),
 *   retries back off exponentially, and a graceful stop hands running jobs back.
 * Exactly-once effects stay ours: the job handler is idempotent by the task's stored state and keyed
 * Slack posts (see core/jobs/jobs.ts), so a job run twice after a crash answers once.
 */

export const ANSWER_TASK = 'answer';
/** Runs of a job before its task is given up as failed (with a Retry button), as the SQLite JobWorker's. */
export const ANSWER_MAX_ATTEMPTS = 8;

/** One queue (and one waiting job) per task. */
export function taskQueueName(teamId: string, taskId: number): string {
  return `task:${teamId}:${taskId}`;
}

interface AnswerPayload extends JobPayload {
  teamId: string;
  taskId: number;
}

/**
 * Queues the task's job in the caller's transaction. A new task's job carries its payload (where to
 * answer a failed command); a later enqueue (a reply, a Retry) keeps the payload of a job still
 * waiting, so the reply does not erase it, and otherwise queues one with none. (The public `jobs` view
 * has no payload, hence `_private_jobs`: graphile-worker is pinned to 0.17.x, whose schema this reads.)
 */
export async function enqueueAnswer(
  tx: PgTx,
  teamId: string,
  taskId: number,
  payload: JobPayload = {},
): Promise<void> {
  const key = taskQueueName(teamId, taskId);
  const job: AnswerPayload = { ...payload, teamId, taskId };
  // Waits for a worker that is taking the keyed job right now: add_job would otherwise see it still
  // waiting (an older snapshot), leave it alone, then find it locked and queue nothing: a lost reply.
  await tx.execute(sql`select 1 from graphile_worker._private_jobs where key = ${key} for update`);
  await tx.execute(sql`
    select graphile_worker.add_job(
      ${ANSWER_TASK},
      coalesce(
        (select waiting.payload::jsonb || ${JSON.stringify(job)}::jsonb
           from graphile_worker._private_jobs waiting
          where waiting.key = ${key} and waiting.locked_at is null),
        ${JSON.stringify(job)}::jsonb
      )::json,
      queue_name => ${key},
      job_key => ${key},
      job_key_mode => 'preserve_run_at',
      priority => ${fairPriority(teamId, taskId, key)},
      -- One run more than we allow: the extra run only gives the task up (see runAnswer).
      max_attempts => ${ANSWER_MAX_ATTEMPTS + 1}
    )`);
}

/**
 * Takes turns between people, as the SQLite queue's round-robin does: graphile-worker runs the lowest
 * priority first, so a job's priority is how many of its requester's other jobs are already waiting.
 * Someone who sends twenty tasks at once gets 0…19; a colleague's task sent after them gets 0 and runs
 * next, not twenty-first.
 */
function fairPriority(teamId: string, taskId: number, key: string) {
  return sql`least(32767, (
    select count(*) from graphile_worker._private_jobs waiting
      join tasks other on waiting.key = 'task:' || other.team_id || ':' || other.id
     where other.team_id = ${teamId}
       and other.requester_id = (select requester_id from tasks where team_id = ${teamId} and id = ${taskId})
       and waiting.key <> ${key} and waiting.locked_at is null and waiting.attempts < waiting.max_attempts
  ))::smallint`;
}

/**
 * The queue as the use cases see it (a collaboration reply, a button): each enqueue is its own
 * transaction. Jobs whose runs are all spent are not counted: graphile-worker keeps them, but our
 * extra run gives their task up (see runAnswer), so one left over only remains if that failed too.
 */
export class PostgresAnswerQueue implements AnswerQueue {
  constructor(private readonly db: PgDb) {}

  enqueue(teamId: string, taskId: number, payload: JobPayload = {}): Promise<void> {
    return this.db.transaction((tx) => enqueueAnswer(tx, teamId, taskId, payload));
  }

  async pendingCount(): Promise<number> {
    const result = await this.db.execute<{ n: number }>(sql`
      select count(*)::int as n from graphile_worker._private_jobs where attempts < max_attempts`);
    return result.rows[0]?.n ?? 0;
  }

  /** Ready = due, not taken, and no job of the same task running (its queue unlocked): the queue's lag. */
  async stats(): Promise<QueueStats> {
    const result = await this.db.execute<{
      total: number;
      running: number;
      ready: number;
      oldest_ms: number | null;
    }>(sql`
      with live as (
        select j.locked_at, j.run_at,
               (j.locked_at is null and j.run_at <= now() and coalesce(q.locked_at is null, true)) as ready
          from graphile_worker._private_jobs j
          left join graphile_worker._private_job_queues q on q.id = j.job_queue_id
         where j.attempts < j.max_attempts)
      select count(*)::int as total,
             count(*) filter (where locked_at is not null)::int as running,
             count(*) filter (where ready)::int as ready,
             (extract(epoch from now() - min(run_at) filter (where ready)) * 1000)::float8 as oldest_ms
        from live`);
    const row = result.rows[0];
    if (!row) return { queued: 0, running: 0, waiting: 0, oldestReadyAgeMs: 0 };
    return {
      queued: row.ready,
      running: row.running,
      waiting: row.total - row.running - row.ready,
      oldestReadyAgeMs: Math.max(0, Math.round(row.oldest_ms ?? 0)),
    };
  }
}

/** Installs or upgrades graphile-worker's own schema (`graphile_worker`); run under the migration lock. */
export async function migrateAnswerQueue(pool: pg.Pool): Promise<void> {
  await runMigrations({ pgPool: pool, logger: new GraphileLogger(() => () => {}) });
}

export interface AnswerQueueOptions {
  pool: pg.Pool;
  /** Answers running at once in this process (MAX_CONCURRENT_GENERATIONS). */
  concurrency: number;
  /** Runs one job; after `signal` aborts it must write nothing more. */
  handle(job: Job, signal: AbortSignal): Promise<void>;
  /** The last run failed too: record the task as failed (the job is then dropped). */
  giveUp(job: Job): Promise<void>;
  /** How often to look for jobs due later (LISTEN/NOTIFY brings new ones at once). */
  pollMs?: number;
  logger: Logger;
  /** Told of each graphile worker this runner starts (`worker:create`), before it takes a job. */
  events?: WorkerEvents;
  /** How long a graceful stop lets running jobs go on before aborting them (graphile's default 5 s). */
  shutdownAbortMs?: number;
}

/** graphile-worker's log lines in ours; its per-job "completed" lines are debug. */
function queueLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message) => {
    if (level === 'error') logger.error(message, { component: 'answer-queue' });
    else if (level === 'warning') logger.warn(message, { component: 'answer-queue' });
    else logger.debug(message, { component: 'answer-queue' });
  });
}

/** Works the answer queue until `stop()`: a graceful stop lets running answers finish or hands them back. */
export async function startAnswerQueue(options: AnswerQueueOptions): Promise<Runner> {
  return run({
    pgPool: options.pool,
    concurrency: options.concurrency,
    pollInterval: options.pollMs ?? 2_000,
    noHandleSignals: true,
    logger: queueLogger(options.logger),
    ...(options.events ? { events: options.events } : {}),
    ...(options.shutdownAbortMs ? { gracefulShutdownAbortTimeout: options.shutdownAbortMs } : {}),
    // Digests and checks keep their own schedulers (their runs are claimed in our tables).
    parsedCronItems: [],
    taskList: {
      [ANSWER_TASK]: (payload: unknown, helpers: JobHelpers) => runAnswer(options, payload, helpers),
    },
  });
}

async function runAnswer(options: AnswerQueueOptions, payload: unknown, helpers: JobHelpers): Promise<void> {
  const { teamId, taskId, ...facts } = payload as AnswerPayload;
  const job: Job = {
    id: Number(helpers.job.id),
    teamId,
    taskId,
    payload: facts,
    attempts: helpers.job.attempts,
  };
  // Past the allowed runs (the last one crashed its process, or was cut short by a stop): the task is
  // failed with a Retry button, never left running with no job.
  if (helpers.job.attempts > ANSWER_MAX_ATTEMPTS) {
    await options.giveUp(job);
    return;
  }
  try {
    await options.handle(job, helpers.abortSignal);
  } catch (error) {
    // The last allowed run failed on its own (not a stop, a shutdown or a takeover): give the task up now.
    const aborted = error instanceof JobAbortedError || helpers.abortSignal.aborted;
    if (helpers.job.attempts >= ANSWER_MAX_ATTEMPTS && !aborted) {
      await options.giveUp(job);
      return;
    }
    throw error;
  }
}
