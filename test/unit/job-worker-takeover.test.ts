import { afterEach, describe, expect, it } from 'vitest';
import { type AbortReason, JobAbortedError } from '../../src/core/errors.js';
import { abortableSlack } from '../../src/core/jobs/abortable-slack.js';
import { JobWorker } from '../../src/core/jobs/job-worker.js';
import type { WorkerIdentity } from '../../src/core/jobs/worker-process.js';
import type { ThreadWriter } from '../../src/core/slack-roles.js';
import { createLogger } from '../../src/logger.js';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteJobQueue } from '../../src/store/job-repo.js';
import { SqliteTaskAdmission } from '../../src/store/task-admission.js';
import { SqliteTaskStore } from '../../src/store/task-repo.js';
import { MENTION_TASK } from '../support/sample-task.js';
import { until } from '../support/wait.js';

const BOOT = 'b5497fc4-de7a-4f9c-b1dc-eac38d0780b0';
const logger = createLogger({ level: 'error', secrets: [], sink: () => {} });

/**
 * Two job workers on one database, as two processes would be: each with its own identity, clock and
 * view of which pids run. Worker A takes the task's job and holds it (its handler never returns
 * until the test ends); the test then starts B and looks at who owns the job.
 */
describe('a worker taking over the jobs of another', () => {
  let database: OpenDatabase;
  const workers: JobWorker[] = [];
  const releases: (() => void)[] = [];
  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    for (const worker of workers.splice(0)) {
      worker.stop();
      await worker.close();
    }
    database.close();
  });

  async function setUp(makeQueue = (db: OpenDatabase) => new SqliteJobQueue(db.sqlite)) {
    database = openDatabase(':memory:');
    const jobs = makeQueue(database);
    const store = new SqliteTaskStore(database.db, database.sqlite);
    const admission = new SqliteTaskAdmission(database.db, database.sqlite, jobs, store);
    await admission.createTask(MENTION_TASK, { deliveryId: 'd1' });
    return jobs;
  }

  /** A worker whose handler holds its job until the test ends; `signals` get each job's signal. */
  async function startWorker(
    queue: SqliteJobQueue,
    options: {
      identity: WorkerIdentity;
      pidRuns: (pid: number) => boolean;
      now?: () => number;
      leaseMs?: number;
    },
    signals: AbortSignal[] = [],
  ): Promise<JobWorker> {
    const worker = new JobWorker(
      queue,
      (_job, signal) =>
        new Promise<void>((resolve) => {
          signals.push(signal);
          releases.push(resolve);
        }),
      { concurrency: 1, leaseMs: options.leaseMs ?? 60_000, pollMs: 60_000, logger, ...options },
    );
    workers.push(worker);
    await worker.start();
    return worker;
  }

  const owner = () =>
    (database.sqlite.prepare('select lease_owner as owner from jobs').get() as { owner: string | null })
      .owner;

  it('never takes the job of a live container with the same hostname but its own pid namespace', async () => {
    const queue = await setUp();
    // Both containers run the bot as pid 1 (host networking, compose `hostname: bot`).
    const a = await startWorker(queue, {
      identity: {
        host: 'bot',
        pid: 1,
        processStartedAt: 1_000,
        pidNamespace: 'pid:[4026532001]',
        bootId: BOOT,
      },
      pidRuns: () => true,
    });
    await until(() => owner() === a.owner);
    // In B's namespace, pid 1 is B itself (started later), and no other pid of A's runs.
    await startWorker(queue, {
      identity: {
        host: 'bot',
        pid: 1,
        processStartedAt: 9_000,
        pidNamespace: 'pid:[4026532002]',
        bootId: BOOT,
      },
      pidRuns: (pid) => pid === 1,
    });
    expect(owner()).toBe(a.owner);
    expect((await queue.otherWorkers('nobody')).length).toBe(2); // A's row was not removed as dead either
  });

  it('still takes over at once from a dead process in the same pid namespace', async () => {
    const queue = await setUp();
    const identity = {
      host: 'bot',
      pid: 1,
      processStartedAt: 1_000,
      pidNamespace: 'pid:[4026532001]',
      bootId: BOOT,
    };
    const a = await startWorker(queue, { identity, pidRuns: () => true });
    await until(() => owner() === a.owner);
    // The container restarted: pid 1 again, a later process, the same namespace.
    const b = await startWorker(queue, {
      identity: { ...identity, processStartedAt: 9_000 },
      pidRuns: () => true,
    });
    await until(() => owner() === b.owner);
  });

  it('leaves a stale-looking worker its job while the lease is valid, and takes it once the lease expired', async () => {
    const queue = await setUp();
    const a = await startWorker(queue, {
      identity: { host: 'web-1', pid: 10, processStartedAt: 1_000, pidNamespace: 'pid:[1]', bootId: BOOT },
      pidRuns: () => true,
    });
    await until(() => owner() === a.owner);
    // A's heartbeat looks 10 s old (its clock lags, its loop stalled, or SQLITE_BUSY refused its
    // beats), while its 60 s lease on the job is still valid.
    const ageHeartbeat = () =>
      database.sqlite
        .prepare('update workers set heartbeat_at = ? where id = ?')
        .run(Date.now() - 10_000, a.owner);
    ageHeartbeat();
    // B, on another host, counts a heartbeat older than 3 s (its lease is 3 s) as stale.
    const b = await startWorker(queue, {
      identity: { host: 'web-2', pid: 10, processStartedAt: 1_000, pidNamespace: 'pid:[1]', bootId: BOOT },
      pidRuns: () => false,
      leaseMs: 3_000,
    });
    expect(owner()).toBe(a.owner);
    // Once the lease ran out too, B takes the job over.
    a.stop(); // A claims nothing more (its handler still holds the job)
    ageHeartbeat();
    database.sqlite.prepare('update jobs set lease_expires_at = ?').run(Date.now() - 1);
    await until(() => owner() === b.owner);
  });

  it('aborts its own job before a Slack call once its heartbeat could not be recorded for too long', async () => {
    /** A database that refuses heartbeats (SQLITE_BUSY from another process) after the first. */
    class BusyQueue extends SqliteJobQueue {
      beats = 0;
      override async heartbeat(...args: Parameters<SqliteJobQueue['heartbeat']>): Promise<void> {
        if (++this.beats > 1) throw new Error('SQLITE_BUSY: database is locked');
        await super.heartbeat(...args);
      }
    }
    const queue = await setUp((db) => new BusyQueue(db.sqlite));
    let clock = Date.now();
    const signals: AbortSignal[] = [];
    await startWorker(
      queue,
      {
        identity: { host: 'web-1', pid: 10, processStartedAt: 1_000, pidNamespace: null, bootId: null },
        pidRuns: () => true,
        now: () => clock,
      },
      signals,
    );
    await until(() => signals.length === 1);
    const signal = signals[0] as AbortSignal;
    let posted = 0;
    const port = {
      postText: async () => {
        posted++;
        return '2.2';
      },
    } as unknown as ThreadWriter;
    // As an answer writes: task-job's port (writes allowed after a Stop), wrapped again by the turn
    // with the job's signal combined with Slack's own stop.
    const slack = abortableSlack(
      abortableSlack(port, signal, { allowAfterStop: true }),
      AbortSignal.any([signal, new AbortController().signal]),
    );
    await slack.postText('C1', 'fresh: goes out', '1.1');
    expect(posted).toBe(1);
    // The event loop stalled (or beats kept failing) for 28 s: 2 s short of the 30 s after which
    // others may count this worker as gone, less than the margin. The lease (60 s) itself is fine.
    clock += 28_000;
    await expect(slack.postText('C1', 'must not go out', '1.1')).rejects.toBeInstanceOf(JobAbortedError);
    expect(posted).toBe(1);
    expect(signal.reason).toEqual({ kind: 'lease_lost' } satisfies AbortReason);
  });
});
