import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobAbortedError } from '../../src/core/errors.js';
import type { Job } from '../../src/core/jobs/jobs.js';
import { OverLimit } from '../../src/core/limits/limits.js';
import {
  enqueueAnswer,
  PostgresAnswerQueue,
  startAnswerQueue,
  taskQueueName,
} from '../../src/store/postgres/answer-queue.js';
import { PostgresAnswerWorker } from '../../src/store/postgres/answer-worker.js';
import { type OpenPostgres, openPostgres } from '../../src/store/postgres/db.js';
import { PostgresTaskAdmission } from '../../src/store/postgres/task-admission.js';
import { quietLogger } from '../support/quiet-logger.js';
import { until } from '../support/wait.js';

/**
 * The answer queue (graphile-worker) on a real PostgreSQL (.ci/run's TEST_DATABASE_URL): one waiting
 * job per task that keeps a new task's payload, one run at a time per task, queued with the task's
 * own transaction, and a task given up after its last attempt.
 */

const ADMIN_URL = process.env.TEST_DATABASE_URL;

type WorkerOptions = ConstructorParameters<typeof PostgresAnswerWorker>[1];

describe.runIf(ADMIN_URL)('the answer queue on PostgreSQL', () => {
  let admin: pg.Client;
  let store: OpenPostgres;
  let databaseUrl = '';
  const name = `deb_queue_${process.pid}_${Date.now()}`;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(ADMIN_URL as string);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    store = await openPostgres(databaseUrl, { poolSize: 6 });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  const waitingJobs = async (key: string) =>
    (
      await store.db.execute<{ payload: Record<string, unknown>; locked: boolean }>(
        sql`select payload, locked_at is not null as locked from graphile_worker._private_jobs where key = ${key} or job_queue_id in (select id from graphile_worker._private_job_queues where queue_name = ${key}) order by id`,
      )
    ).rows;

  /** A PostgreSQL answer worker on the test's store: one at a time, a 3 s lease, answering nothing unless told. */
  const answerWorker = (options: Partial<WorkerOptions> = {}) =>
    new PostgresAnswerWorker(store.db, {
      pool: store.pool as pg.Pool,
      concurrency: 1,
      leaseMs: 3_000,
      giveUp: async () => {},
      logger: quietLogger,
      handle: async () => {},
      ...options,
    });

  it('a reply joins the waiting job and keeps its payload; a job queued in a rolled-back transaction never exists', async () => {
    await store.db.transaction((tx) =>
      enqueueAnswer(tx, 'T1', 1, { responseUrl: 'https://hooks.example/1' }),
    );
    await store.db.transaction((tx) => enqueueAnswer(tx, 'T1', 1));
    expect(await waitingJobs(taskQueueName('T1', 1))).toEqual([
      { payload: { teamId: 'T1', taskId: 1, responseUrl: 'https://hooks.example/1' }, locked: false },
    ]);
    await store.db
      .transaction(async (tx) => {
        await enqueueAnswer(tx, 'T1', 2);
        throw new Error('the task insert failed');
      })
      .catch(() => {});
    expect(await waitingJobs(taskQueueName('T1', 2))).toEqual([]);
  });

  it('runs one job per task at a time; a reply during a run queues exactly one more', async () => {
    const runs: Job[] = [];
    let running = 0;
    let overlapped = false;
    let release: () => void = () => {};
    const firstRunHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = await startAnswerQueue({
      pool: store.pool as pg.Pool,
      concurrency: 4,
      handle: async (job) => {
        running += 1;
        if (running > 1) overlapped = true;
        runs.push(job);
        if (runs.length === 1) await firstRunHeld;
        running -= 1;
      },
      giveUp: async () => {},
      logger: quietLogger,
    });
    try {
      await until(() => runs.length === 1);
      expect(runs[0]).toMatchObject({
        teamId: 'T1',
        taskId: 1,
        payload: { responseUrl: 'https://hooks.example/1' },
      });
      // Two replies while the answer runs: one more job, after it.
      await store.db.transaction((tx) => enqueueAnswer(tx, 'T1', 1));
      await store.db.transaction((tx) => enqueueAnswer(tx, 'T1', 1));
      const jobs = await waitingJobs(taskQueueName('T1', 1));
      expect(jobs.map((job) => job.locked)).toEqual([true, false]);
      release();
      await until(() => runs.length === 2);
      await until(async () => (await waitingJobs(taskQueueName('T1', 1))).length === 0);
      expect(runs).toHaveLength(2);
      expect(overlapped).toBe(false);
    } finally {
      await queue.stop();
    }
  });

  it('a job that fails on its last attempt gives its task up instead of retrying for ever', async () => {
    const givenUp: Job[] = [];
    await store.db.transaction((tx) => enqueueAnswer(tx, 'T1', 3));
    // Seven attempts already failed (the backoff between them is minutes; the test skips it).
    await store.db.execute(
      sql`update graphile_worker._private_jobs set attempts = 7 where key = ${taskQueueName('T1', 3)}`,
    );
    const queue = await startAnswerQueue({
      pool: store.pool as pg.Pool,
      concurrency: 1,
      handle: async () => {
        throw new Error('Slack is down');
      },
      giveUp: async (job) => {
        givenUp.push(job);
      },
      logger: quietLogger,
    });
    try {
      await until(() => givenUp.length === 1);
      expect(givenUp[0]).toMatchObject({ teamId: 'T1', taskId: 3, attempts: 8 });
      await until(async () => (await waitingJobs(taskQueueName('T1', 3))).length === 0);
    } finally {
      await queue.stop();
    }
  });

  it('admission: a delivery creates one task with its job; the hourly limit holds under concurrency', async () => {
    const admission = new PostgresTaskAdmission(store.db, {
      userTasksPerHour: 3,
      dailyTokenBudget: undefined,
    });
    const newTask = (userId: string, text: string) => ({
      teamId: 'T9',
      channelId: 'C1',
      requesterId: userId,
      source: 'command' as const,
      text,
      title: text,
      firstTurn: { content: text },
    });
    const twins = await Promise.all(
      [1, 2, 3].map(() =>
        admission.createTask(
          newTask('U1', 'orders'),
          { deliveryId: 'trigger-1' },
          { responseUrl: 'https://hooks.example/9' },
        ),
      ),
    );
    expect(twins.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(twins.map((result) => result.task.id)).size).toBe(1);
    const taskId = twins[0]?.task.id ?? 0;
    expect(await waitingJobs(taskQueueName('T9', taskId))).toEqual([
      { payload: { teamId: 'T9', taskId, responseUrl: 'https://hooks.example/9' }, locked: false },
    ]);

    // U2 sends six at once with a limit of three an hour: three are stored, three refused, nothing half-stored.
    const burst = await Promise.allSettled(
      [1, 2, 3, 4, 5, 6].map((n) =>
        admission.createTask(newTask('U2', `task ${n}`), { deliveryId: `burst-${n}` }),
      ),
    );
    expect(burst.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    const counted = await store.db.execute<{ tasks: number; admissions: number; seen: number }>(sql`
      select (select count(*)::int from tasks where team_id = 'T9' and requester_id = 'U2') as tasks,
             (select count(*)::int from admissions where team_id = 'T9' and user_id = 'U2') as admissions,
             (select count(*)::int from events_seen where team_id = 'T9' and delivery_id like 'burst-%') as seen`);
    expect(counted.rows[0]).toEqual({ tasks: 3, admissions: 3, seen: 3 });

    // A reply delivered twice is stored once; Retry pressed three times on a failed task queues it once.
    const reply = { content: 'also refunds', userId: 'U1', slackTs: '7.7' };
    const replies = await Promise.all(
      [1, 2].map(() => admission.recordFollowUp('T9', taskId, { deliveryId: 'ev-7' }, reply)),
    );
    expect(replies.filter(Boolean)).toHaveLength(1);
    await store.db.execute(sql`update tasks set status = 'failed' where id = ${taskId}`);
    const retries = await Promise.all([1, 2, 3].map(() => admission.retryFailed('T9', taskId, 'U1')));
    expect(retries.filter(Boolean)).toHaveLength(1);
    expect(await admission.retryFailed('T8', taskId, 'U1')).toBe(false);
  });

  it('admission: over DAILY_TOKEN_BUDGET a task is refused in its transaction and nothing is stored', async () => {
    const admission = new PostgresTaskAdmission(store.db, { userTasksPerHour: 0, dailyTokenBudget: 1_000 });
    const newTask = (teamId: string) => ({
      teamId,
      channelId: 'C1',
      requesterId: 'U1',
      source: 'command' as const,
      text: 'orders',
      title: 'orders',
      firstTurn: { content: 'orders' },
    });
    const first = await admission.createTask(newTask('TB1'), { deliveryId: 'budget-before' });
    const today = new Date().toISOString().slice(0, 10);
    await store.db.execute(
      sql`insert into daily_usage (team_id, day, tokens) values ('TB1', ${today}, 1000)`,
    );
    const refused = await admission
      .createTask(newTask('TB1'), { deliveryId: 'budget-after' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OverLimit);
    expect((refused as OverLimit).refusal).toMatchObject({ kind: 'budget', budget: 1_000, used: 1_000 });
    const counted = await store.db.execute<{ tasks: number; seen: number; admissions: number }>(sql`
      select (select count(*)::int from tasks where team_id = 'TB1') as tasks,
             (select count(*)::int from events_seen where team_id = 'TB1') as seen,
             (select count(*)::int from admissions where team_id = 'TB1') as admissions`);
    expect(counted.rows[0]).toEqual({ tasks: 1, seen: 1, admissions: 1 });
    expect(await admission.createTask(newTask('TB1'), { deliveryId: 'budget-before' })).toMatchObject({
      created: false,
      task: { id: first.task.id },
    });
    expect((await admission.createTask(newTask('TB2'), { deliveryId: 'budget-other' })).created).toBe(true);
  });

  it('counts queued jobs for /metrics and for idle(): ready ones, their age, and no spent ones', async () => {
    const queue = new PostgresAnswerQueue(store.db);
    const before = await queue.stats();
    const pendingBefore = await queue.pendingCount();
    await queue.enqueue('T6', 1);
    await queue.enqueue('T6', 2, { responseUrl: 'https://hooks.example/6' });
    await queue.enqueue('T6', 2); // joins the waiting job
    const after = await queue.stats();
    expect(after.queued - before.queued).toBe(2);
    expect(after.running).toBe(before.running);
    expect(after.oldestReadyAgeMs).toBeGreaterThanOrEqual(0);
    expect((await queue.pendingCount()) - pendingBefore).toBe(2);
    // A job whose runs are all spent (kept by graphile-worker) is neither pending nor queued.
    await store.db.execute(
      sql`update graphile_worker._private_jobs set attempts = max_attempts where key = ${taskQueueName('T6', 1)}`,
    );
    expect((await queue.pendingCount()) - pendingBefore).toBe(1);
    expect((await queue.stats()).queued - before.queued).toBe(1);
    await store.db.execute(
      sql`delete from graphile_worker._private_jobs where key = ${taskQueueName('T6', 1)}`,
    );
  });

  it("takes turns between people: a colleague's task runs before the rest of someone's burst", async () => {
    const admission = new PostgresTaskAdmission(store.db, {
      userTasksPerHour: 0,
      dailyTokenBudget: undefined,
    });
    const create = async (userId: string, n: number) =>
      (
        await admission.createTask(
          {
            teamId: 'T7',
            channelId: 'C1',
            requesterId: userId,
            source: 'command',
            text: `task ${n}`,
            title: `task ${n}`,
            firstTurn: { content: `task ${n}` },
          },
          { deliveryId: `fair-${n}` },
        )
      ).task.id;
    const burst: number[] = [];
    for (let n = 0; n < 5; n++) burst.push(await create('U0FLOOD01', n));
    const colleague = await create('U0OTHER01', 9);
    const order: number[] = [];
    const queue = await startAnswerQueue({
      pool: store.pool as pg.Pool,
      concurrency: 1,
      handle: async (job) => {
        if (job.teamId === 'T7') order.push(job.taskId);
      },
      giveUp: async () => {},
      logger: quietLogger,
    });
    try {
      await until(() => order.length === 6);
    } finally {
      await queue.stop();
    }
    // First come first served would run it sixth.
    expect(order.indexOf(colleague)).toBe(1);
    expect(order.filter((id) => id !== colleague)).toEqual(burst);
  });

  it('a killed process has its answers taken over at once; Stop reaches an answer running in another process', async () => {
    await store.db.transaction((tx) => enqueueAnswer(tx, 'T5', 1));
    // Process A takes the answer, then is killed (SIGKILL: no goodbye, its job stays locked).
    const child = fork(fileURLToPath(new URL('../support/answer-worker-child.ts', import.meta.url)), [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let said = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
    });
    await until(() => said.includes('started 1'));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    // B starts on this host, finds A's pid gone, frees its job and answers it.
    const startedByB: Job[] = [];
    const aborted: string[] = [];
    const b = answerWorker({
      concurrency: 2,
      handle: async (job, signal) => {
        // Jobs the earlier tests left queued are answered at once; the taken-over one hangs.
        if (job.teamId !== 'T5') return;
        startedByB.push(job);
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        aborted.push((signal.reason as { kind: string }).kind);
      },
    });
    await b.start();
    try {
      await until(() => startedByB.length === 1);
      expect(startedByB[0]).toMatchObject({ teamId: 'T5', taskId: 1 });
      // Stop pressed on another instance (C, not running it): recorded; B aborts on its next beat.
      const c = answerWorker();
      expect(await c.stopTask('T5', 1, 'U1')).toBe(true);
      expect(await c.stopTask('T5', 99, 'U1')).toBe(false);
      await until(() => aborted.includes('stopped'));
    } finally {
      await b.stop();
    }
  }, 60_000);

  it('a reply that arrives while a worker is taking the waiting job is not lost', async () => {
    const key = taskQueueName('T7', 1);
    await store.db.transaction((tx) => enqueueAnswer(tx, 'T7', 1));
    const worker = new pg.Client({ connectionString: databaseUrl });
    await worker.connect();
    try {
      // What graphile-worker's batch fetch does, not yet committed.
      await worker.query('begin');
      await worker.query(
        `update graphile_worker._private_jobs set attempts = attempts + 1, locked_by = 'pool-x', locked_at = now() where key = $1`,
        [key],
      );
      const reply = store.db.transaction((tx) => enqueueAnswer(tx, 'T7', 1));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await worker.query('commit');
      await reply;
    } finally {
      await worker.end();
    }
    expect((await waitingJobs(key)).filter((job) => !job.locked)).toHaveLength(1);
  });

  it('a task whose last allowed run died with its process is given up, not left running with no job', async () => {
    const givenUp: Job[] = [];
    const handled: Job[] = [];
    await store.db.transaction((tx) => enqueueAnswer(tx, 'T7', 2));
    await store.db.execute(
      sql`update graphile_worker._private_jobs set attempts = 8 where key = ${taskQueueName('T7', 2)}`,
    );
    const queue = await startAnswerQueue({
      pool: store.pool as pg.Pool,
      concurrency: 1,
      handle: async (job) => {
        if (job.teamId === 'T7' && job.taskId === 2) handled.push(job);
      },
      giveUp: async (job) => {
        givenUp.push(job);
      },
      logger: quietLogger,
    });
    try {
      await until(() => givenUp.some((job) => job.teamId === 'T7' && job.taskId === 2));
      expect(handled).toEqual([]);
    } finally {
      await queue.stop();
    }
  });

  /** A worker for team `teamId`'s jobs only (earlier tests leave other jobs queued: answered at once). */
  function workerFor(teamId: string, handle: (job: Job, signal: AbortSignal) => Promise<void>) {
    return answerWorker({
      concurrency: 2,
      handle: async (job, signal) => (job.teamId === teamId ? handle(job, signal) : undefined),
    });
  }
  const jobRow = async (key: string) =>
    (
      await store.db.execute<{ attempts: number; locked: boolean; due: boolean }>(sql`
        select attempts, locked_at is not null as locked, run_at <= now() as due
          from graphile_worker._private_jobs where key = ${key}`)
    ).rows;

  it('a stop past its grace period hands the answer back at once, its run not counted, and another instance answers it', async () => {
    const key = taskQueueName('T3', 1);
    await store.db.transaction((tx) => enqueueAnswer(tx, 'T3', 1));
    const started: number[] = [];
    // Cut short, this handler returns normally (as a step that swallows the abort would): the job must
    // still not be completed.
    const a = workerFor('T3', async (job, signal) => {
      started.push(job.attempts);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    });
    await a.start();
    let b: PostgresAnswerWorker | undefined;
    try {
      await until(() => started.length === 1);
      a.stopTaking();
      expect(await a.releaseAndClose()).toBe(1);
      // Queued again now (no backoff), with the cut run not counted, and not deleted.
      expect(await jobRow(key)).toEqual([{ attempts: 0, locked: false, due: true }]);
      const answered: number[] = [];
      b = workerFor('T3', async (job) => {
        answered.push(job.attempts);
      });
      await b.start();
      await until(() => answered.length === 1);
      expect(answered).toEqual([1]);
      await until(async () => (await jobRow(key)).length === 0);
    } finally {
      await b?.stop();
    }
  }, 30_000);

  it('a Stop completes the job even when the stopped answer throws its abort; other failures are retried', async () => {
    const key = taskQueueName('T4', 1);
    await store.db.transaction((tx) => enqueueAnswer(tx, 'T4', 1));
    const w = workerFor('T4', async (_job, signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      throw new JobAbortedError({ kind: 'stopped', byUserId: 'U1' });
    });
    await w.start();
    try {
      await until(async () => (await jobRow(key)).some((row) => row.locked));
      expect(await w.stopTask('T4', 1, 'U1')).toBe(true);
      await until(async () => (await jobRow(key)).length === 0);
    } finally {
      await w.stop();
    }
  }, 30_000);

  it("caps a person's turn: replies queued under their name push their next task back at most a few places", async () => {
    const admission = new PostgresTaskAdmission(store.db, {
      userTasksPerHour: 0,
      dailyTokenBudget: undefined,
    });
    const ids: number[] = [];
    for (let n = 0; n < 8; n++)
      ids.push(
        (
          await admission.createTask(
            {
              teamId: 'T2',
              channelId: 'C1',
              requesterId: 'U0VICTIM1',
              source: 'command',
              text: `task ${n}`,
              title: `task ${n}`,
              firstTurn: { content: `task ${n}` },
            },
            { deliveryId: `cap-${n}` },
          )
        ).task.id,
      );
    const priorities = await store.db.execute<{ priority: number }>(sql`
      select priority from graphile_worker._private_jobs where key like 'task:T2:%' order by id`);
    expect(priorities.rows.map((row) => row.priority)).toEqual([0, 1, 2, 3, 3, 3, 3, 3]);
    await store.db.execute(sql`delete from graphile_worker._private_jobs where key like 'task:T2:%'`);
  });

  it('reports a runner that ended by itself as fatal, and a stop as nothing of the kind', async () => {
    const fatal: Error[] = [];
    const make = () => answerWorker({ onFatal: (error) => fatal.push(error) });
    const stopped = make();
    await stopped.start();
    await stopped.stop(0);
    expect(fatal).toEqual([]);
    const broken = make();
    await broken.start();
    try {
      // As graphile-worker does when it cannot record a job's end: its runner stops, not through us.
      await (broken as unknown as { runner: { stop(): Promise<void> } }).runner.stop();
      await until(() => fatal.length === 1);
      expect(fatal[0]?.message).toContain('stopped by itself');
    } finally {
      await broken.stop(0);
    }
  });

  it("judges other instances' heartbeats on the database's clock: a host clock ten minutes ahead takes over no live process, only a silent one", async () => {
    const key = taskQueueName('T8', 1);
    await store.db.transaction((tx) => enqueueAnswer(tx, 'T8', 1));
    // Another instance, on another host, holds the answer and beat a moment ago (database time).
    await store.db.execute(sql`
      insert into workers (id, host, pid, process_started_at, pid_namespace, boot_id, heartbeat_at)
      values ('worker-ghost', 'other-host', 4242, 1, null, null,
              (extract(epoch from clock_timestamp()) * 1000)::bigint - 500)`);
    await store.db.execute(
      sql`insert into answer_queue_workers (worker_id, process_id) values ('pool-ghost', 'worker-ghost')`,
    );
    await store.db.execute(sql`
      update graphile_worker._private_jobs set locked_by = 'pool-ghost', locked_at = now(), attempts = 1
       where key = ${key}`);
    await store.db.execute(sql`
      update graphile_worker._private_job_queues set locked_by = 'pool-ghost', locked_at = now()
       where queue_name = ${key}`);
    const answered: Job[] = [];
    const skewed = answerWorker({
      handle: async (job) => {
        if (job.teamId === 'T8') answered.push(job);
      },
      now: () => Date.now() + 10 * 60_000,
    });
    const beats = async () =>
      (
        await store.db.execute<{ at: number }>(
          sql`select heartbeat_at::float8 as at from workers where id = ${skewed.id}`,
        )
      ).rows[0]?.at;
    // The other instance is alive: it beats (database time) twice a second until it goes silent below.
    const ghostBeats = setInterval(() => {
      void store.db
        .execute(sql`update workers set heartbeat_at = (extract(epoch from clock_timestamp()) * 1000)::bigint
                      where id = 'worker-ghost'`)
        .catch(() => {});
    }, 500);
    await skewed.start();
    try {
      // Three beats later the live process still holds its answer (on this host's clock it looked ten
      // minutes silent).
      for (let n = 0; n < 3; n++) {
        const before = await beats();
        await until(async () => (await beats()) !== before, 10_000);
      }
      expect(await jobRow(key)).toEqual([{ attempts: 1, locked: true, due: true }]);
      expect(answered).toEqual([]);
      // Now it goes silent for longer than the stale time (database time): taken over and answered.
      clearInterval(ghostBeats);
      await store.db.execute(sql`
        update workers set heartbeat_at = (extract(epoch from clock_timestamp()) * 1000)::bigint - 10000
         where id = 'worker-ghost'`);
      await until(() => answered.length === 1, 15_000);
    } finally {
      clearInterval(ghostBeats);
      await skewed.stop(0);
    }
  }, 40_000);
});
