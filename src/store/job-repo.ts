import type Database from 'better-sqlite3';
import type { Job, JobPayload, JobQueue, WorkerProcess } from '../core/jobs/jobs.js';
import type { QueueStats } from '../core/metrics.js';
import { jobStatements } from './job-sql.js';

interface JobRowRaw {
  id: number;
  team_id: string;
  task_id: number;
  payload: string | null;
  attempts: number;
  run_at: number;
}

/** A job's payload column: null when there is nothing in it. */
function payloadText(payload: JobPayload): string | null {
  return Object.keys(payload).length > 0 ? JSON.stringify(payload) : null;
}

function toJob(row: JobRowRaw): Job {
  return {
    id: row.id,
    teamId: row.team_id,
    taskId: row.task_id,
    payload: row.payload ? (JSON.parse(row.payload) as JobPayload) : {},
    attempts: row.attempts,
    readyAt: row.run_at,
  };
}

/**
 * SQLite JobQueue. Plain prepared SQL: the claim is one UPDATE … RETURNING with a sub-select, which
 * SQLite runs atomically, so two workers (or two processes on one file) never take the same job; the
 * same transaction records whose work it was (job_users), which makes the next claim round-robin.
 */
export class SqliteJobQueue implements JobQueue {
  private readonly q: ReturnType<typeof jobStatements>;

  constructor(private readonly sqlite: Database.Database) {
    this.q = jobStatements(sqlite);
  }

  /** The first job of a task just created in the caller's transaction: no waiting job can exist yet. */
  enqueueNew(teamId: string, taskId: number, payload: JobPayload = {}): void {
    this.q.insert.run(teamId, taskId, payloadText(payload), Date.now());
  }

  async enqueue(teamId: string, taskId: number, payload: JobPayload = {}): Promise<void> {
    this.enqueueInTransaction(teamId, taskId, payload);
  }

  /** enqueue without the promise, for the caller's transaction (task admission; never await inside one). */
  enqueueInTransaction(teamId: string, taskId: number, payload: JobPayload = {}): void {
    this.sqlite
      .transaction(() => {
        if (this.q.waiting.get(taskId)) return;
        this.q.insert.run(teamId, taskId, payloadText(payload), Date.now());
      })
      .immediate();
  }

  /**
   * Takes the next job fairly: among claimable jobs, those of the person (the task's requester) whose
   * work was taken longest ago come first, so one person's fifty tasks never hold another's first answer
   * back by more than the job already running; within one person, oldest first.
   */
  async claim(owner: string, leaseMs: number, now = Date.now()): Promise<Job | undefined> {
    return this.sqlite
      .transaction(() => {
        const row = this.q.claimOne.get({ owner, leaseMs, now }) as JobRowRaw | undefined;
        if (!row) return undefined;
        this.q.markServed.run({ taskId: row.task_id, now });
        return toJob(row);
      })
      .immediate();
  }

  async renew(jobId: number, owner: string, leaseMs: number): Promise<boolean> {
    return this.q.renewLease.run({ id: jobId, owner, leaseMs, now: Date.now() }).changes > 0;
  }

  async complete(jobId: number, owner: string): Promise<void> {
    this.q.remove.run(jobId, owner);
  }

  async retryAt(jobId: number, owner: string, runAt: number, error: string): Promise<void> {
    this.q.reschedule.run({ id: jobId, owner, runAt, error: error.slice(0, 500) });
  }

  async releaseAll(owner: string): Promise<number> {
    return this.q.release.run(owner).changes;
  }

  async nextWakeAt(): Promise<number | undefined> {
    const row = this.q.wake.get() as { at: number | null };
    return row.at ?? undefined;
  }

  async heartbeat(worker: WorkerProcess, now = Date.now()): Promise<void> {
    this.q.beat.run({ ...worker, heartbeatAt: now });
  }

  async otherWorkers(id: string): Promise<WorkerProcess[]> {
    return this.q.others.all(id) as WorkerProcess[];
  }

  async reclaimFrom(id: string): Promise<number> {
    return this.sqlite
      .transaction(() => {
        const released = this.q.release.run(id).changes;
        this.q.forget.run(id);
        return released;
      })
      .immediate();
  }

  async reclaimExpiredFrom(id: string, now = Date.now()): Promise<number> {
    return this.sqlite
      .transaction(() => {
        const released = this.q.releaseExpired.run({ owner: id, now }).changes;
        if (!this.q.holds.get(id)) this.q.forget.run(id);
        return released;
      })
      .immediate();
  }

  async unregister(id: string): Promise<void> {
    this.q.forget.run(id);
  }

  async requestStop(teamId: string, taskId: number, userId: string): Promise<boolean> {
    return this.q.markStop.run({ teamId, taskId, userId }).changes > 0;
  }

  async stopRequests(owner: string): Promise<{ taskId: number; userId: string }[]> {
    return this.q.stops.all(owner) as { taskId: number; userId: string }[];
  }

  async pendingCount(): Promise<number> {
    return (this.q.pending.get() as { n: number }).n;
  }

  async stats(now = Date.now()): Promise<QueueStats> {
    const row = this.q.stats.get({ now }) as {
      total: number;
      running: number;
      ready: number;
      oldestReadyAt: number | null;
    };
    return {
      queued: row.ready,
      running: row.running,
      waiting: row.total - row.running - row.ready,
      oldestReadyAgeMs: row.oldestReadyAt === null ? 0 : Math.max(0, now - row.oldestReadyAt),
    };
  }
}
