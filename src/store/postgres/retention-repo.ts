import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { RetentionStore, StoredMessage } from '../../core/retention/retention-store.js';
import type { PgDb } from './db.js';
import type { PgTx } from './locks.js';
import { tasks, turns } from './schema.js';

/** Check runs are kept at least this long whatever RETENTION_DAYS says, for the 30-day pass rate. */
const CHECK_RUNS_KEPT_MS = 31 * 86_400_000;

/**
 * What is kept of Slack messages on PostgreSQL (see ../retention-repo.ts). Every statement filters by
 * team_id; a team is pruned in one transaction, as on SQLite.
 */
export class PostgresRetentionStore implements RetentionStore {
  constructor(private readonly db: PgDb) {}

  async teams(): Promise<string[]> {
    const result = await this.db.execute<{ team_id: string }>(sql`
      select team_id from tasks union select team_id from events_seen union select team_id from admissions
      union select team_id from assistant_threads union select team_id from data_tool_calls`);
    return result.rows.map((row) => row.team_id);
  }

  prune(
    teamId: string,
    cutoffMs: number,
    admissionsCutoffMs: number,
  ): Promise<{ tasks: number; turns: number; events: number }> {
    return this.db.transaction(async (tx) => {
      const pruned = await pruneIdleTasks(tx, teamId, cutoffMs);
      const events = await deleted(
        tx,
        sql`delete from events_seen where team_id = ${teamId} and created_at < ${cutoffMs}`,
      );
      await deleted(tx, sql`delete from admissions where team_id = ${teamId} and at < ${admissionsCutoffMs}`);
      // A side-panel thread opened long ago and never used; a used one is a task and pruned as one.
      await deleted(
        tx,
        sql`delete from assistant_threads where team_id = ${teamId} and created_at < ${cutoffMs}`,
      );
      // Check runs: kept at least 31 days whatever RETENTION_DAYS says, for the 30-day pass rate.
      const checkRunsCutoff = Math.min(cutoffMs, Date.now() - CHECK_RUNS_KEPT_MS);
      await deleted(
        tx,
        sql`delete from check_runs where team_id = ${teamId} and slot_at < ${checkRunsCutoff}`,
      );
      // Files shared in a thread whose task was pruned (a file share is a turn, so they are old too).
      await deleted(
        tx,
        sql`delete from thread_files where team_id = ${teamId} and created_at < ${cutoffMs}
          and not exists (select 1 from tasks where tasks.team_id = thread_files.team_id
                            and tasks.channel_id = thread_files.channel_id
                            and tasks.thread_ts = thread_files.thread_ts)`,
      );
      // The data tools' audit rows live RETENTION_DAYS from the call, whatever became of the task.
      await deleted(
        tx,
        sql`delete from data_tool_calls where team_id = ${teamId} and created_at < ${cutoffMs}`,
      );
      return { ...pruned, events };
    });
  }

  async findMessage(teamId: string, channelId: string, ts: string): Promise<StoredMessage | undefined> {
    const result = await this.db.execute<{
      turnId: number;
      taskId: number;
      content: string;
      first: boolean;
    }>(sql`
      select turns.id as "turnId", turns.task_id as "taskId", turns.content as content,
             turns.id = (select min(first.id) from turns as first
                         where first.team_id = turns.team_id and first.task_id = turns.task_id) as first
      from turns join tasks on tasks.id = turns.task_id and tasks.team_id = turns.team_id
      where turns.team_id = ${teamId} and tasks.channel_id = ${channelId} and turns.slack_ts = ${ts}
        and turns.role = 'user'
      order by turns.id
      limit 1`);
    const row = result.rows[0];
    return row
      ? {
          turnId: Number(row.turnId),
          taskId: Number(row.taskId),
          content: row.content,
          first: row.first === true,
        }
      : undefined;
  }

  async deleteTurn(teamId: string, turnId: number): Promise<void> {
    await this.db.delete(turns).where(and(eq(turns.teamId, teamId), eq(turns.id, turnId)));
  }

  async setTurnContent(teamId: string, turnId: number, content: string): Promise<void> {
    await this.db
      .update(turns)
      .set({ content })
      .where(and(eq(turns.teamId, teamId), eq(turns.id, turnId)));
  }

  async setTaskText(teamId: string, taskId: number, text: string, title: string): Promise<void> {
    await this.db
      .update(tasks)
      .set({ text, title })
      .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId)));
  }
}

/**
 * Idle: not updated, no turn added, nothing queued or running since the cutoff (its answer job, in
 * graphile-worker's queue: see answer-queue.ts for the key), and no one still
 * working on its collaboration requests (a request not yet done keeps its task however old; once
 * done, the task is pruned RETENTION_DAYS after that). Same rule as SQLite's.
 */
function idleTasks(teamId: string, cutoffMs: number): SQL {
  return sql`tasks.team_id = ${teamId} and tasks.updated_at < ${cutoffMs}
    and not exists (select 1 from turns where turns.team_id = tasks.team_id and turns.task_id = tasks.id
                      and turns.created_at >= ${cutoffMs})
    and not exists (select 1 from graphile_worker._private_jobs queued
                      where queued.key = 'task:' || tasks.team_id || ':' || tasks.id)
    and not exists (select 1 from collaboration_requests r
                      where r.team_id = tasks.team_id and r.task_id = tasks.id
                        and (r.status <> 'done' or coalesce(r.done_at, 0) >= ${cutoffMs}))`;
}

/**
 * Deletes the idle tasks (their turns, requests and jobs follow by ON DELETE CASCADE), counting them
 * and their turns. First the idle tasks are locked: that waits for another instance that is adding a
 * turn or a job to one of them right now (its insert holds a key-share lock on the task). The delete
 * then judges idleness again with a snapshot that sees such a commit, so the task is kept; a writer
 * arriving later waits for this transaction and finds the task gone, as on SQLite. Another instance
 * pruning the same team at once waits on the locks, then finds the rows gone: nothing is counted twice.
 */
async function pruneIdleTasks(
  tx: PgTx,
  teamId: string,
  cutoffMs: number,
): Promise<{ tasks: number; turns: number }> {
  const locked = await tx.execute<{ id: number }>(
    sql`select tasks.id from tasks where ${idleTasks(teamId, cutoffMs)} for update`,
  );
  if (locked.rows.length === 0) return { tasks: 0, turns: 0 };
  const counted = await tx.execute<{ tasks: number; turns: number }>(sql`
    with gone as (delete from tasks where ${idleTasks(teamId, cutoffMs)} returning tasks.id)
    select (select count(*) from gone)::int as tasks,
           (select count(*) from turns where turns.team_id = ${teamId}
              and turns.task_id in (select id from gone))::int as turns`);
  const row = counted.rows[0];
  return { tasks: Number(row?.tasks ?? 0), turns: Number(row?.turns ?? 0) };
}

/** Runs a delete and counts its rows without sending them back. */
async function deleted(tx: PgTx, statement: SQL): Promise<number> {
  const result = await tx.execute<{ n: number }>(
    sql`with deleted as (${statement} returning 1) select count(*)::int as n from deleted`,
  );
  return Number(result.rows[0]?.n ?? 0);
}
