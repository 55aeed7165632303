import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteJobQueue } from '../../src/store/job-repo.js';
import { SqliteTaskAdmission } from '../../src/store/task-admission.js';
import { SqliteTaskStore } from '../../src/store/task-repo.js';
import { MENTION_TASK } from '../support/sample-task.js';

/** What a /metrics scrape reads from the queue (JobQueue.stats): depth by state and the lag. */
describe('queue stats', () => {
  let database: OpenDatabase;
  let jobs: SqliteJobQueue;
  let admission: SqliteTaskAdmission;
  beforeEach(() => {
    database = openDatabase(':memory:');
    const store = new SqliteTaskStore(database.db, database.sqlite);
    jobs = new SqliteJobQueue(database.sqlite);
    admission = new SqliteTaskAdmission(database.db, database.sqlite, jobs, store);
  });
  afterEach(() => database.close());

  const newTask = async (n: number) =>
    (await admission.createTask({ ...MENTION_TASK, threadTs: `${n}.1` }, { deliveryId: `d${n}` })).task;

  it('tells ready jobs from running and waiting ones, and ages the oldest ready one', async () => {
    expect(await jobs.stats()).toEqual({ queued: 0, running: 0, waiting: 0, oldestReadyAgeMs: 0 });
    const first = await newTask(1);
    await newTask(2);
    const third = await newTask(3);
    const running = await jobs.claim('worker-a', 60_000);
    expect(running?.taskId).toBe(first.id);
    expect(running?.readyAt).toBeTypeOf('number');
    // A reply to the running task waits behind its job; a failed run waits for its backoff.
    await jobs.enqueue('T1', first.id);
    const retried = await jobs.claim('worker-a', 60_000);
    await jobs.retryAt(retried?.id ?? 0, 'worker-a', Date.now() + 60_000, 'boom');
    const now = Date.now() + 5_000;
    const stats = await jobs.stats(now);
    expect(stats).toMatchObject({ queued: 1, running: 1, waiting: 2 });
    // The one ready job (task 3) has waited at least the 5 s the clock moved.
    expect(stats.oldestReadyAgeMs).toBeGreaterThanOrEqual(5_000);
    expect((await jobs.claim('worker-b', 60_000, now))?.taskId).toBe(third.id);
    expect(await jobs.stats(now)).toMatchObject({ queued: 0, running: 2, waiting: 2, oldestReadyAgeMs: 0 });
  });
});
