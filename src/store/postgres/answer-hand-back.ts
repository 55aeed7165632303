import { sql } from 'drizzle-orm';
import { abortReason, errorSummary, JobAbortedError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { PgDb } from './db.js';

/**
 * What graphile-worker is told about an answer's run, by why it ended (the SQLite JobWorker's rules):
 * - it finished, or a Stop ended it (the task ended itself): completed;
 * - it was cut short (shutdown, or taken over): never completed, which would delete a job that is
 *   unfinished or already another instance's; handed back instead (see handBack), then reported as
 *   aborted, which graphile-worker's fail step ignores for a job no longer locked by this process;
 * - it failed on its own: thrown, so graphile-worker retries it with backoff.
 */
export async function settleRun(
  run: Promise<void>,
  signal: AbortSignal,
  handBackJob: () => Promise<void>,
): Promise<void> {
  let failure: unknown;
  let failed = false;
  try {
    await run;
  } catch (error) {
    failed = true;
    failure = error;
  }
  const reason = abortReason(signal);
  if (reason && reason.kind !== 'stopped') {
    await handBackJob();
    throw new JobAbortedError(reason);
  }
  // Stopped: the Stop's own abort is the task ending; any other failure (a ping after a finished
  // answer) is retried like any failure.
  if (failed && !(reason?.kind === 'stopped' && failure instanceof JobAbortedError)) throw failure;
}

/**
 * A run cut short goes back to the queue at once, its attempt not counted (a rolling restart must not
 * use up a task's runs or wait out a backoff). Only while this process still holds it (`queueIds`, the
 * graphile pool ids it locks jobs under): a job taken over is left to its new holder. A job a reply
 * superseded during the run (graphile-worker cleared its key and queued a new one) is deleted: the new
 * job answers the task.
 */
export async function handBack(db: PgDb, jobId: number, queueIds: string[], logger: Logger): Promise<void> {
  if (queueIds.length === 0) return;
  const ours = sql.join(
    queueIds.map((id) => sql`${id}`),
    sql`, `,
  );
  try {
    await db.execute(sql`
      with superseded as (
        delete from graphile_worker._private_jobs
         where id = ${jobId} and locked_by in (${ours}) and key is null
        returning job_queue_id),
      returned as (
        update graphile_worker._private_jobs
           set locked_by = null, locked_at = null, run_at = now(), attempts = greatest(attempts - 1, 0)
         where id = ${jobId} and locked_by in (${ours}) and key is not null
        returning job_queue_id)
      update graphile_worker._private_job_queues q set locked_by = null, locked_at = null
        where q.locked_by in (${ours})
          and q.id in (select job_queue_id from superseded union all select job_queue_id from returned)`);
  } catch (error) {
    // Left locked: graphile-worker's fail step backs it off, or a takeover frees it.
    logger.warn('could not hand an unfinished answer back to the queue', { error: errorSummary(error) });
  }
}
