import type Database from 'better-sqlite3';
import type { Job, JobPayload, JobQueue, WorkerProcess } from '../core/jobs/jobs.js';

interface JobRowRaw {
  id: number;
  team_id: string;
  task_id: number;
  payload: string | null;
  attempts: number;
}

function toJob(row: JobRowRaw): Job {
  return {
    id: row.id,
    teamId: row.team_id,
    taskId: row.task_id,
    payload: row.payload ? (JSON.parse(row.payload) as JobPayload) : {},
    attempts: row.attempts,
  };
}

/**
 * SQLite JobQueue. Plain prepared SQL: the claim is one UPDATE … RETURNING with a sub-select, which
 * SQLite runs atomically, so two workers (or two processes on one file) never take the same job; the
 * same transaction records whose work it was (job_users), which makes the next claim round-robin.
 */
export class SqliteJobQueue implements JobQueue {
  private readonly insert;
  private readonly waiting;
  private readonly claimOne;
  private readonly markServed;
  private readonly renewLease;
  private readonly remove;
  private readonly reschedule;
  private readonly wake;
  private readonly pending;
  private readonly release;
  private readonly releaseExpired;
  private readonly holds;
  private readonly beat;
  private readonly others;
  private readonly forget;
  private readonly markStop;
  private readonly stops;

  constructor(private readonly sqlite: Database.Database) {
    this.insert = sqlite.prepare(
      `insert into jobs (team_id, task_id, payload, run_at) values (@teamId, @taskId, @payload, @now)`,
    );
    this.waiting = sqlite.prepare(`select 1 from jobs where task_id = ? and state = 'queued' limit 1`);
    this.claimOne = sqlite.prepare(`
      update jobs
         set state = 'running', lease_owner = @owner, lease_expires_at = @now + @leaseMs, attempts = attempts + 1
       where id = (
         select j.id from jobs j
           join tasks t on t.id = j.task_id
           left join job_users u on u.team_id = t.team_id and u.user_id = t.requester_id
          where ((j.state = 'queued' and j.run_at <= @now) or (j.state = 'running' and j.lease_expires_at < @now))
            and not exists (
              select 1 from jobs r
               where r.task_id = j.task_id and r.id <> j.id and r.state = 'running' and r.lease_expires_at >= @now)
          -- Round-robin across people: the person served longest ago (or never) first, then oldest job.
          order by coalesce(u.last_claimed_at, 0), j.run_at, j.id
          limit 1)
      returning id, team_id, task_id, payload, attempts`);
    // Strictly increasing, so two claims in one millisecond still take turns.
    this.markServed = sqlite.prepare(`
      insert into job_users (team_id, user_id, last_claimed_at)
      select t.team_id, t.requester_id, max(@now, coalesce((select max(last_claimed_at) from job_users), 0) + 1)
        from tasks t where t.id = @taskId
      on conflict (team_id, user_id) do update set last_claimed_at = excluded.last_claimed_at`);
    this.renewLease = sqlite.prepare(
      `update jobs set lease_expires_at = @now + @leaseMs where id = @id and lease_owner = @owner and state = 'running'`,
    );
    this.remove = sqlite.prepare(`delete from jobs where id = ? and lease_owner = ?`);
    this.reschedule = sqlite.prepare(
      `update jobs set state = 'queued', run_at = @runAt, lease_owner = null, lease_expires_at = null, last_error = @error,
              stop_requested_by = null
        where id = @id and lease_owner = @owner`,
    );
    // A queued job behind a live job of the same task is not due until that lease ends (or the job
    // finishes and pumps again), so it never makes the worker spin.
    this.wake = sqlite.prepare(`
      select min(t) as at from (
        select min(j.run_at) as t from jobs j
         where j.state = 'queued'
           and not exists (select 1 from jobs r where r.task_id = j.task_id and r.state = 'running')
        union all
        select min(lease_expires_at) + 1 as t from jobs where state = 'running')`);
    this.pending = sqlite.prepare(`select count(*) as n from jobs`);
    this.release = sqlite.prepare(
      `update jobs set state = 'queued', lease_owner = null, lease_expires_at = null, stop_requested_by = null
        where lease_owner = ? and state = 'running'`,
    );
    this.releaseExpired = sqlite.prepare(
      `update jobs set state = 'queued', lease_owner = null, lease_expires_at = null, stop_requested_by = null
        where lease_owner = @owner and state = 'running' and lease_expires_at < @now`,
    );
    this.holds = sqlite.prepare(`select 1 from jobs where lease_owner = ? and state = 'running' limit 1`);
    this.beat = sqlite.prepare(`
      insert into workers (id, host, pid, process_started_at, pid_namespace, boot_id, heartbeat_at)
      values (@id, @host, @pid, @processStartedAt, @pidNamespace, @bootId, @heartbeatAt)
      on conflict (id) do update set heartbeat_at = excluded.heartbeat_at`);
    this.others = sqlite.prepare(
      `select id, host, pid, process_started_at as processStartedAt, pid_namespace as pidNamespace,
              boot_id as bootId, heartbeat_at as heartbeatAt
         from workers where id <> ?`,
    );
    this.forget = sqlite.prepare(`delete from workers where id = ?`);
    this.markStop = sqlite.prepare(
      `update jobs set stop_requested_by = @userId where team_id = @teamId and task_id = @taskId and state = 'running'`,
    );
    this.stops = sqlite.prepare(
      `select task_id as taskId, stop_requested_by as userId from jobs
        where lease_owner = ? and state = 'running' and stop_requested_by is not null`,
    );
  }

  /** The first job of a task just created in the caller's transaction: no waiting job can exist yet. */
  enqueueNew(teamId: string, taskId: number, payload: JobPayload = {}): void {
    const hasPayload = Object.keys(payload).length > 0;
    this.insert.run({
      teamId,
      taskId,
      payload: hasPayload ? JSON.stringify(payload) : null,
      now: Date.now(),
    });
  }

  enqueue(teamId: string, taskId: number, payload: JobPayload = {}): void {
    this.sqlite.transaction(() => {
      if (this.waiting.get(taskId)) return;
      const hasPayload = Object.keys(payload).length > 0;
      this.insert.run({
        teamId,
        taskId,
        payload: hasPayload ? JSON.stringify(payload) : null,
        now: Date.now(),
      });
    })();
  }

  /**
   * Takes the next job fairly: among claimable jobs, those of the person (the task's requester) whose
   * work was taken longest ago come first, so one person's fifty tasks never hold another's first answer
   * back by more than the job already running; within one person, oldest first.
   */
  claim(owner: string, leaseMs: number, now = Date.now()): Job | undefined {
    return this.sqlite.transaction(() => {
      const row = this.claimOne.get({ owner, leaseMs, now }) as JobRowRaw | undefined;
      if (!row) return undefined;
      this.markServed.run({ taskId: row.task_id, now });
      return toJob(row);
    })();
  }

  renew(jobId: number, owner: string, leaseMs: number): boolean {
    return this.renewLease.run({ id: jobId, owner, leaseMs, now: Date.now() }).changes > 0;
  }

  complete(jobId: number, owner: string): void {
    this.remove.run(jobId, owner);
  }

  retryAt(jobId: number, owner: string, runAt: number, error: string): void {
    this.reschedule.run({ id: jobId, owner, runAt, error: error.slice(0, 500) });
  }

  releaseAll(owner: string): number {
    return this.release.run(owner).changes;
  }

  nextWakeAt(): number | undefined {
    const row = this.wake.get() as { at: number | null };
    return row.at ?? undefined;
  }

  heartbeat(worker: WorkerProcess, now = Date.now()): void {
    this.beat.run({ ...worker, heartbeatAt: now });
  }

  otherWorkers(id: string): WorkerProcess[] {
    return this.others.all(id) as WorkerProcess[];
  }

  reclaimFrom(id: string): number {
    return this.sqlite.transaction(() => {
      const released = this.release.run(id).changes;
      this.forget.run(id);
      return released;
    })();
  }

  reclaimExpiredFrom(id: string, now = Date.now()): number {
    return this.sqlite.transaction(() => {
      const released = this.releaseExpired.run({ owner: id, now }).changes;
      if (!this.holds.get(id)) this.forget.run(id);
      return released;
    })();
  }

  unregister(id: string): void {
    this.forget.run(id);
  }

  requestStop(teamId: string, taskId: number, userId: string): boolean {
    return this.markStop.run({ teamId, taskId, userId }).changes > 0;
  }

  stopRequests(owner: string): { taskId: number; userId: string }[] {
    return this.stops.all(owner) as { taskId: number; userId: string }[];
  }

  pendingCount(): number {
    return (this.pending.get() as { n: number }).n;
  }
}
