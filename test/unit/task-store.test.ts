import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LimitSettings, OverLimit } from '../../src/core/limits/limits.js';
import { SqliteArtifactStore } from '../../src/store/artifact-repo.js';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteJobQueue } from '../../src/store/job-repo.js';
import { SqliteTaskAdmission } from '../../src/store/task-admission.js';
import { SqliteTaskStore } from '../../src/store/task-repo.js';

const newTask = (teamId = 'T1') => ({
  teamId,
  channelId: 'C1',
  requesterId: 'U1',
  source: 'command' as const,
  text: 'design a pipeline',
  title: 'design a pipeline',
  firstTurn: { content: 'design a pipeline' },
});

describe('SqliteTaskStore', () => {
  let database: OpenDatabase;
  let store: SqliteTaskStore;
  let admission: SqliteTaskAdmission;
  beforeEach(() => {
    database = openDatabase(':memory:');
    store = new SqliteTaskStore(database.db, database.sqlite);
    admission = new SqliteTaskAdmission(
      database.db,
      database.sqlite,
      new SqliteJobQueue(database.sqlite),
      store,
    );
  });
  afterEach(() => database.close());

  /** An admission with these limits, on the test's database. */
  const admissionWith = (limits: LimitSettings) =>
    new SqliteTaskAdmission(
      database.db,
      database.sqlite,
      new SqliteJobQueue(database.sqlite),
      store,
      undefined,
      limits,
    );

  it('counts USER_TASKS_PER_HOUR inside the creating transaction: a burst of 8 with a limit of 3 stores 3', async () => {
    const limited = admissionWith({ userTasksPerHour: 3, dailyTokenBudget: undefined });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => limited.createTask(newTask(), { deliveryId: `burst-${i}` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(5);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(OverLimit);
    const count = (table: string) =>
      (database.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    expect([count('tasks'), count('admissions'), count('events_seen'), count('jobs')]).toEqual([3, 3, 3, 3]);
    // A refused delivery left nothing behind: delivered again later, it is judged afresh (refused again now).
    await expect(limited.createTask(newTask(), { deliveryId: 'burst-7' })).rejects.toBeInstanceOf(OverLimit);
    // Another person is not affected.
    expect(
      (await limited.createTask({ ...newTask(), requesterId: 'U2' }, { deliveryId: 'other' })).created,
    ).toBe(true);
  });

  it('checks DAILY_TOKEN_BUDGET inside the creating transaction: over it nothing is stored, a stored delivery is still found', async () => {
    const budgeted = admissionWith({ userTasksPerHour: 0, dailyTokenBudget: 1_000 });
    const first = await budgeted.createTask(newTask(), { deliveryId: 'before' });
    expect(first.created).toBe(true);
    const today = new Date().toISOString().slice(0, 10);
    database.sqlite
      .prepare('insert into daily_usage (team_id, day, tokens) values (?, ?, ?)')
      .run('T1', today, 1_000);
    const refused = await budgeted
      .createTask(newTask(), { deliveryId: 'after' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OverLimit);
    expect((refused as OverLimit).refusal).toMatchObject({ kind: 'budget', budget: 1_000, used: 1_000 });
    const count = (table: string) =>
      (database.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    expect([count('tasks'), count('admissions'), count('events_seen'), count('jobs')]).toEqual([1, 1, 1, 1]);
    // A second delivery of the task stored before the budget ran out is the same task, not a refusal.
    expect(await budgeted.createTask(newTask(), { deliveryId: 'before' })).toMatchObject({
      created: false,
      task: { id: first.task.id },
    });
    // Another workspace has its own budget.
    expect((await budgeted.createTask({ ...newTask(), teamId: 'T2' }, { deliveryId: 'other' })).created).toBe(
      true,
    );
  });

  it('checks the limits where a reply or a retry is stored: over them nothing changes, a redelivered reply is still recognised', async () => {
    const limited = admissionWith({ userTasksPerHour: 2, dailyTokenBudget: 1_000 });
    const { task } = await limited.createTask(newTask(), { deliveryId: 'task' });
    const reply = (n: number) => ({ content: `reply ${n}`, userId: 'U1', slackTs: `${n}.0` });
    expect(await limited.recordFollowUp('T1', task.id, { deliveryId: 'r1' }, reply(1))).toBe(true);
    const refused = await limited
      .recordFollowUp('T1', task.id, { deliveryId: 'r2' }, reply(2))
      .catch((error: unknown) => error);
    expect((refused as OverLimit).refusal).toMatchObject({ kind: 'person', limit: 2 });
    // The first reply delivered again is recognised (false), not refused.
    expect(await limited.recordFollowUp('T1', task.id, { deliveryId: 'r1' }, reply(1))).toBe(false);
    const count = (sql: string) => (database.sqlite.prepare(sql).get() as { n: number }).n;
    expect(count("select count(*) as n from turns where role = 'user'")).toBe(2);
    expect(count('select count(*) as n from admissions')).toBe(2);
    expect(count("select count(*) as n from events_seen where delivery_id = 'r2'")).toBe(0);
    // A Retry over the budget (another person, under the hourly limit) leaves the task failed.
    database.sqlite.prepare("update tasks set status = 'failed' where id = ?").run(task.id);
    const today = new Date().toISOString().slice(0, 10);
    database.sqlite
      .prepare('insert into daily_usage (team_id, day, tokens) values (?, ?, ?)')
      .run('T1', today, 1_000);
    const retry = await limited.retryFailed('T1', task.id, 'U2').catch((error: unknown) => error);
    expect((retry as OverLimit).refusal).toMatchObject({ kind: 'budget' });
    expect(count(`select count(*) as n from tasks where status = 'failed'`)).toBe(1);
    expect(count('select count(*) as n from admissions')).toBe(2);
  });

  it('shares one commit between concurrent creations, each still deduped', async () => {
    const results = await Promise.all([
      admission.createTask(newTask(), { deliveryId: 'burst-1' }),
      admission.createTask(newTask(), { deliveryId: 'burst-2' }),
      admission.createTask(newTask(), { deliveryId: 'burst-1' }),
    ]);
    expect(results.map((r) => r.created)).toEqual([true, true, false]);
    expect(results[2]?.task.id).toBe(results[0]?.task.id);
    const count = database.sqlite.prepare('select count(*) as n from tasks').get() as { n: number };
    expect(count.n).toBe(2);
  });

  it('stores the rest of a burst when one creation fails, and nothing of the one that failed', async () => {
    const earlier = await admission.createTask({ ...newTask(), threadTs: '5.5' }, { deliveryId: 'x' });
    const results = await Promise.allSettled([
      admission.createTask(newTask(), { deliveryId: 'a' }),
      // Same team, channel and thread as `earlier`: the unique index refuses it inside the batch.
      admission.createTask({ ...newTask(), threadTs: '5.5' }, { deliveryId: 'b' }),
      admission.createTask(newTask(), { deliveryId: 'c' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const rows = (sql: string) => database.sqlite.prepare(sql).all() as Record<string, unknown>[];
    expect(rows('select delivery_id from events_seen order by id').map((r) => r.delivery_id)).toEqual([
      'x',
      'a',
      'c',
    ]);
    expect(rows('select task_id from turns')).toHaveLength(3);
    expect(rows('select task_id from jobs')).toHaveLength(3);
    expect(rows('select id from admissions')).toHaveLength(3);
    expect((await store.getTask('T1', earlier.task.id))?.threadTs).toBe('5.5');
  });

  it('keeps at most 50 dictionary tables per task however often the agent publishes new ones', async () => {
    const { task } = await admission.createTask(newTask(), { deliveryId: 'dictionary' });
    const artifacts = new SqliteArtifactStore(database.db);
    for (let call = 0; call < 5; call++) {
      const tables = Array.from({ length: 50 }, (_, i) => ({ table: `t_${call}_${i}`, columns: [] }));
      await artifacts.saveDictionaryInput(task.teamId, task.id, { tables });
    }
    const kept = (await artifacts.dictionaryInput(task.teamId, task.id))?.tables ?? [];
    expect(kept).toHaveLength(50);
    // The newest call's tables are the ones kept.
    expect(kept.at(-1)?.table).toBe('t_4_49');
    expect(kept[0]?.table).toBe('t_4_0');
  });

  it('migrates with foreign keys on and WAL requested', () => {
    expect(database.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = database.sqlite.prepare("select name from sqlite_master where type='table'").all();
    expect(tables.map((t) => (t as { name: string }).name)).toEqual(
      expect.arrayContaining(['tasks', 'turns', 'events_seen']),
    );
  });

  it('creates the file and its folder on first start, in WAL mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deb-store-'));
    const path = join(dir, 'nested', 'folder', 'bot.db');
    const onDisk = openDatabase(path);
    try {
      expect(existsSync(path)).toBe(true);
      expect(onDisk.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      onDisk.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates a task once per delivery', async () => {
    const first = await admission.createTask(newTask(), { deliveryId: 'command:trigger-1' });
    const again = await admission.createTask(newTask(), { deliveryId: 'command:trigger-1' });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.task.id).toBe(first.task.id);
    const count = database.sqlite.prepare('select count(*) as n from tasks').get() as { n: number };
    expect(count.n).toBe(1);
  });

  it('dedupes on channel + message ts as well as on the delivery id', async () => {
    const first = await admission.createTask(newTask(), {
      deliveryId: 'Ev1',
      channelId: 'C1',
      messageTs: '1.1',
    });
    const twin = await admission.createTask(newTask(), {
      deliveryId: 'Ev2',
      channelId: 'C1',
      messageTs: '1.1',
    });
    expect(twin).toEqual({ task: first.task, created: false });
  });

  it('never reads another workspace’s rows', async () => {
    const { task } = await admission.createTask(newTask('T1'), { deliveryId: 'd1' });
    expect(await store.getTask('T2', task.id)).toBeUndefined();
    await store.addTurn('T1', task.id, { role: 'user', content: 'hello' });
    expect(await store.listTurns('T2', task.id)).toEqual([]);
    await store.failTask(
      'T2',
      task.id,
      'x',
      { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      0,
    );
    expect((await store.getTask('T1', task.id))?.status).toBe('queued');
    // The same delivery id in another workspace is a different delivery.
    expect((await admission.createTask(newTask('T2'), { deliveryId: 'd1' })).created).toBe(true);
  });

  it('records the answer, usage and cost on completion', async () => {
    const { task } = await admission.createTask(newTask(), { deliveryId: 'd1' });
    await store.setThread('T1', task.id, '100.1');
    await store.markRunning('T1', task.id, 'claude-sonnet-5-5');
    await store.setAnswerTs('T1', task.id, '100.2');
    // The first turn (the request) was stored with the task.
    await store.addTurn('T1', task.id, { role: 'assistant', content: 'a' });
    await store.completeTask(
      'T1',
      task.id,
      { inputTokens: 10, outputTokens: 20, cacheReadTokens: 5, cacheWriteTokens: 1 },
      0.5,
    );
    const row = database.sqlite.prepare('select * from tasks where id = ?').get(task.id) as Record<
      string,
      unknown
    >;
    expect(row).toMatchObject({
      status: 'done',
      thread_ts: '100.1',
      answer_ts: '100.2',
      model: 'claude-sonnet-5-5',
      input_tokens: 10,
      output_tokens: 20,
      cache_read_tokens: 5,
      cache_write_tokens: 1,
      cost_usd: 0.5,
    });
    expect(await store.listTurns('T1', task.id)).toEqual([
      { role: 'user', content: 'design a pipeline' },
      { role: 'assistant', content: 'a' },
    ]);
  });
});
