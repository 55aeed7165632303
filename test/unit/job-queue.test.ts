import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteJobQueue } from '../../src/store/job-repo.js';
import { SqliteTaskAdmission } from '../../src/store/task-admission.js';
import { SqliteTaskStore } from '../../src/store/task-repo.js';
import { MENTION_TASK } from '../support/sample-task.js';

describe('SqliteJobQueue and reserved turns', () => {
  let database: OpenDatabase;
  let store: SqliteTaskStore;
  let jobs: SqliteJobQueue;
  let admission: SqliteTaskAdmission;
  beforeEach(() => {
    database = openDatabase(':memory:');
    store = new SqliteTaskStore(database.db, database.sqlite);
    jobs = new SqliteJobQueue(database.sqlite);
    admission = new SqliteTaskAdmission(database.db, database.sqlite, jobs, store);
  });
  afterEach(() => database.close());

  const newTask = async () =>
    (await admission.createTask(MENTION_TASK, { deliveryId: `d${Math.random()}` })).task;

  it('runs one job per task at a time, and a job waiting behind a live one never looks due', async () => {
    const task = await newTask(); // its first job is queued with it
    const first = await jobs.claim('worker-a', 60_000);
    expect(first?.taskId).toBe(task.id);
    await jobs.enqueue('T1', task.id); // a follow-up while it runs
    expect(await jobs.claim('worker-b', 60_000)).toBeUndefined();
    // Not due until the running job's lease ends: a worker sleeps instead of spinning.
    expect(await jobs.nextWakeAt()).toBeGreaterThan(Date.now() + 50_000);
    await jobs.complete(first?.id ?? 0, 'worker-a');
    expect((await jobs.claim('worker-b', 60_000))?.taskId).toBe(task.id);
  });

  it('takes over a job whose lease expired, once', async () => {
    await newTask();
    expect(await jobs.claim('dead', 1_000, Date.now())).toBeDefined();
    const later = Date.now() + 2_000;
    expect((await jobs.claim('alive', 60_000, later))?.attempts).toBe(2);
    expect(await jobs.claim('other', 60_000, later)).toBeUndefined();
  });

  it('forgets a Stop once its job is rescheduled or handed back: the next run (say, a follow-up) is not stopped', async () => {
    const task = await newTask();
    const first = await jobs.claim('worker-a', 60_000);
    expect(await jobs.requestStop('T1', task.id, 'U1')).toBe(true);
    expect(await jobs.stopRequests('worker-a')).toEqual([{ taskId: task.id, userId: 'U1' }]);
    // The run failed before it saw the Stop; its job, queued again, now also covers a new reply.
    await jobs.retryAt(first?.id ?? 0, 'worker-a', Date.now(), 'boom');
    expect((await jobs.claim('worker-b', 60_000))?.taskId).toBe(task.id);
    expect(await jobs.stopRequests('worker-b')).toEqual([]);
    // The same after a shutdown hands the job back (and after a dead worker's jobs are reclaimed).
    expect(await jobs.requestStop('T1', task.id, 'U1')).toBe(true);
    expect(await jobs.releaseAll('worker-b')).toBe(1);
    expect((await jobs.claim('worker-c', 60_000))?.taskId).toBe(task.id);
    expect(await jobs.stopRequests('worker-c')).toEqual([]);
  });

  it('moves a cut-short answer after replies that arrived before it resumed', async () => {
    const task = await newTask();
    const cut = await store.beginAssistantTurn('T1', task.id);
    await store.setTurnMessages('T1', cut.id, ['2.2']);
    await admission.recordFollowUp(
      'T1',
      task.id,
      { deliveryId: 'r1', channelId: 'C1', messageTs: '3.3' },
      {
        content: 'and hourly?',
        userId: 'U1',
        slackTs: '3.3',
      },
    );
    const resumed = await store.beginAssistantTurn('T1', task.id);
    expect(resumed.id).toBeGreaterThan(cut.id);
    expect(resumed.messageTs).toEqual(['2.2']);
    await store.finishAssistantTurn('T1', resumed.id, 'answer', {
      inputTokens: 1,
      outputTokens: 1,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect((await store.listTurns('T1', task.id)).map((t) => t.role)).toEqual(['user', 'user', 'assistant']);
    expect((await store.beginAssistantTurn('T1', task.id)).messageTs).toEqual([]); // nothing left unfinished
  });
});
