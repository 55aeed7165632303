import type Database from 'better-sqlite3';

/** The queue's prepared SQL for jobs (compiled once per connection). */
function queueStatements(sqlite: Database.Database) {
  // Positional: it runs once per task on the ack path, where binding by name costs more than the insert.
  const insert = sqlite.prepare<[teamId: string, taskId: number, payload: string | null, now: number]>(
    'insert into jobs (team_id, task_id, payload, run_at) values (?, ?, ?, ?)',
  );
  const waiting = sqlite.prepare(`select 1 from jobs where task_id = ? and state = 'queued' limit 1`);
  const claimOne = sqlite.prepare(`
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
      returning id, team_id, task_id, payload, attempts, run_at`);
  // Strictly increasing, so two claims in one millisecond still take turns.
  const markServed = sqlite.prepare(`
      insert into job_users (team_id, user_id, last_claimed_at)
      select t.team_id, t.requester_id, max(@now, coalesce((select max(last_claimed_at) from job_users), 0) + 1)
        from tasks t where t.id = @taskId
      on conflict (team_id, user_id) do update set last_claimed_at = excluded.last_claimed_at`);
  const renewLease = sqlite.prepare(
    `update jobs set lease_expires_at = @now + @leaseMs where id = @id and lease_owner = @owner and state = 'running'`,
  );
  const remove = sqlite.prepare(`delete from jobs where id = ? and lease_owner = ?`);
  const reschedule = sqlite.prepare(
    `update jobs set state = 'queued', run_at = @runAt, lease_owner = null, lease_expires_at = null, last_error = @error,
              stop_requested_by = null
        where id = @id and lease_owner = @owner`,
  );
  // A queued job behind a live job of the same task is not due until that lease ends (or the job
  // finishes and pumps again), so it never makes the worker spin.
  const wake = sqlite.prepare(`
      select min(t) as at from (
        select min(j.run_at) as t from jobs j
         where j.state = 'queued'
           and not exists (select 1 from jobs r where r.task_id = j.task_id and r.state = 'running')
        union all
        select min(lease_expires_at) + 1 as t from jobs where state = 'running')`);
  const pending = sqlite.prepare(`select count(*) as n from jobs`);
  return {
    insert,
    waiting,
    claimOne,
    markServed,
    renewLease,
    remove,
    reschedule,
    wake,
    pending,
    stats: statsStatement(sqlite),
  };
}

/**
 * Jobs by state for a scrape of /metrics: `ready` is what the claim could take now (due, and no job of
 * the same task running), so its oldest `run_at` is the queue's lag.
 */
function statsStatement(sqlite: Database.Database) {
  const ready = `j.state = 'queued' and j.run_at <= @now
        and not exists (select 1 from jobs r where r.task_id = j.task_id and r.state = 'running')`;
  return sqlite.prepare(`
      select count(*) as total,
             coalesce(sum(case when j.state = 'running' then 1 else 0 end), 0) as running,
             coalesce(sum(case when ${ready} then 1 else 0 end), 0) as ready,
             min(case when ${ready} then j.run_at end) as oldestReadyAt
        from jobs j`);
}

/** The prepared SQL for leases, workers' heartbeats and Stop requests. */
function leaseStatements(sqlite: Database.Database) {
  const release = sqlite.prepare(
    `update jobs set state = 'queued', lease_owner = null, lease_expires_at = null, stop_requested_by = null
        where lease_owner = ? and state = 'running'`,
  );
  const releaseExpired = sqlite.prepare(
    `update jobs set state = 'queued', lease_owner = null, lease_expires_at = null, stop_requested_by = null
        where lease_owner = @owner and state = 'running' and lease_expires_at < @now`,
  );
  const holds = sqlite.prepare(`select 1 from jobs where lease_owner = ? and state = 'running' limit 1`);
  const beat = sqlite.prepare(`
      insert into workers (id, host, pid, process_started_at, pid_namespace, boot_id, heartbeat_at)
      values (@id, @host, @pid, @processStartedAt, @pidNamespace, @bootId, @heartbeatAt)
      on conflict (id) do update set heartbeat_at = excluded.heartbeat_at`);
  const others = sqlite.prepare(
    `select id, host, pid, process_started_at as processStartedAt, pid_namespace as pidNamespace,
              boot_id as bootId, heartbeat_at as heartbeatAt
         from workers where id <> ?`,
  );
  const forget = sqlite.prepare(`delete from workers where id = ?`);
  const markStop = sqlite.prepare(
    `update jobs set stop_requested_by = @userId where team_id = @teamId and task_id = @taskId and state = 'running'`,
  );
  const stops = sqlite.prepare(
    `select task_id as taskId, stop_requested_by as userId from jobs
        where lease_owner = ? and state = 'running' and stop_requested_by is not null`,
  );
  return { release, releaseExpired, holds, beat, others, forget, markStop, stops };
}

export function jobStatements(sqlite: Database.Database) {
  return { ...queueStatements(sqlite), ...leaseStatements(sqlite) };
}
