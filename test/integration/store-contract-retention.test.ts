import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresRetentionStore } from '../../src/store/postgres/retention-repo.js';
import { SqliteRetentionStore } from '../../src/store/retention-repo.js';
import { openConnections } from '../support/concurrency.js';
import { execSql, resetStore, STORE_ENGINES, type StoreEngine } from '../support/store-engines.js';
import { until } from '../support/wait.js';

/**
 * Retention behaves the same on SQLite and PostgreSQL: what each table keeps, per team; on PostgreSQL
 * instances may prune at once, and a conversation may come back to life while it is being pruned.
 */

function reposOf(engine: StoreEngine) {
  if (engine.dialect === 'sqlite') {
    const { sqlite } = engine.database;
    return {
      retention: new SqliteRetentionStore(sqlite),
      exec: (statement: string) => execSql(engine, statement),
      ids: async (statement: string) =>
        (sqlite.prepare(statement).all() as { id: number | string }[]).map((r) => r.id),
      openConnections: async () => {},
    };
  }
  const { db } = engine.database;
  return {
    retention: new PostgresRetentionStore(db),
    exec: (statement: string) => execSql(engine, statement),
    ids: async (statement: string) =>
      (await db.execute<{ id: number | string }>(sql.raw(statement))).rows.map((r) => r.id),
    openConnections: () => openConnections(db),
  };
}

const DAY = 86_400_000;

describe.each(STORE_ENGINES)('retention store on %s', (name, open) => {
  let engine: StoreEngine;
  let repos: ReturnType<typeof reposOf>;
  const now = Date.now();
  const ago = (days: number) => Math.round(now - days * DAY);
  const cutoff = ago(7);

  beforeAll(async () => {
    engine = await open();
    repos = reposOf(engine);
  }, 60_000);
  beforeEach(async () => {
    await resetStore(engine);
  });
  afterAll(async () => {
    await engine.close();
  });

  /** Task n of T1 in C1, thread n.0, last updated `updated` days ago. */
  const task = (n: number, updatedDaysAgo: number, teamId = 'T1') =>
    repos.exec(`insert into tasks (id, team_id, channel_id, thread_ts, requester_id, source, text, title, created_at, updated_at)
      values (${n}, '${teamId}', 'C1', '${n}.0', 'U1', 'command', 'task ${n}', 'Task ${n}', ${ago(30)}, ${ago(updatedDaysAgo)})`);
  const turn = (
    taskId: number,
    daysAgo: number,
    slackTs: string | null = null,
    teamId = 'T1',
    role = 'user',
  ) =>
    repos.exec(`insert into turns (team_id, task_id, role, content, slack_ts, created_at)
      values ('${teamId}', ${taskId}, '${role}', 'turn of ${taskId}', ${slackTs ? `'${slackTs}'` : 'null'}, ${ago(daysAgo)})`);
  const request = (taskId: number, status: string, doneDaysAgo: number | null) =>
    repos.exec(`insert into collaboration_requests (team_id, task_id, channel_id, thread_ts, role, topic, topic_key,
        request, reason, status, done_at)
      values ('T1', ${taskId}, 'C1', '${taskId}.0', 'qa', 't', 't', 'r', 'r', '${status}', ${doneDaysAgo === null ? 'null' : ago(doneDaysAgo)})`);

  it('prunes idle conversations with their turns, keeping live ones; old rows of every table; per team', async () => {
    await task(1, 10);
    await turn(1, 10, '1.0');
    await turn(1, 10);
    await task(2, 10);
    await turn(2, 1);
    await task(3, 10);
    // A task whose answer is still queued is kept (SQLite's own queue; graphile-worker's on PostgreSQL).
    await repos.exec(
      engine.dialect === 'sqlite'
        ? `insert into jobs (team_id, task_id) values ('T1', 3)`
        : `select graphile_worker.add_job('answer', '{"teamId":"T1","taskId":3}'::json, queue_name => 'task:T1:3', job_key => 'task:T1:3')`,
    );
    await task(4, 10);
    await request(4, 'open', null);
    await task(5, 10);
    await request(5, 'done', 1);
    await task(6, 10);
    await turn(6, 10);
    await request(6, 'done', 9);
    await task(7, 1);
    await task(8, 10, 'T2');
    await turn(8, 10, null, 'T2');
    await repos.exec(`insert into events_seen (team_id, delivery_id, created_at) values
      ('T1', 'e1', ${ago(10)}), ('T1', 'e2', ${ago(8)}), ('T1', 'e3', ${ago(1)}), ('T2', 'e4', ${ago(10)})`);
    await repos.exec(`insert into admissions (team_id, user_id, at) values
      ('T1', 'U1', ${ago(2)}), ('T1', 'U1', ${ago(0.5)}), ('T2', 'U1', ${ago(2)})`);
    await repos.exec(`insert into assistant_threads (team_id, channel_id, thread_ts, user_id, created_at) values
      ('T1', 'D1', 'old', 'U1', ${ago(10)}), ('T1', 'D1', 'new', 'U1', ${ago(1)})`);
    await repos.exec(`insert into thread_files (team_id, channel_id, thread_ts, file_id, message_ts, created_at) values
      ('T1', 'C1', '1.0', 'F_PRUNED', 'm', ${ago(10)}), ('T1', 'C1', '2.0', 'F_KEPT_TASK', 'm', ${ago(10)}),
      ('T1', 'C1', '99.0', 'F_RECENT', 'm', ${ago(1)}), ('T2', 'C1', '99.0', 'F_OTHER_TEAM', 'm', ${ago(10)})`);
    await repos.exec(`insert into data_tool_calls (team_id, channel_id, user_id, task_id, source_name, tool, statement, created_at)
      values ('T1', 'C1', 'U1', 2, 'w', 'run_query', 'old', ${ago(10)}), ('T1', 'C1', 'U1', 2, 'w', 'run_query', 'new', ${ago(1)})`);

    expect((await repos.retention.teams()).sort()).toEqual(['T1', 'T2']);
    expect(await repos.retention.prune('T1', cutoff, ago(1))).toEqual({ tasks: 2, turns: 3, events: 2 });
    expect(await repos.ids('select id from tasks order by id')).toEqual([2, 3, 4, 5, 7, 8]);
    expect(await repos.ids(`select task_id as id from turns order by task_id`)).toEqual([2, 8]);
    expect(await repos.ids(`select task_id as id from collaboration_requests order by task_id`)).toEqual([
      4, 5,
    ]);
    expect(await repos.ids(`select delivery_id as id from events_seen order by delivery_id`)).toEqual([
      'e3',
      'e4',
    ]);
    expect(await repos.ids(`select team_id as id from admissions order by team_id`)).toEqual(['T1', 'T2']);
    expect(await repos.ids(`select thread_ts as id from assistant_threads`)).toEqual(['new']);
    expect(await repos.ids(`select file_id as id from thread_files order by file_id`)).toEqual([
      'F_KEPT_TASK',
      'F_OTHER_TEAM',
      'F_RECENT',
    ]);
    expect(await repos.ids(`select statement as id from data_tool_calls`)).toEqual(['new']);
    // Nothing more to prune; the other team's rows are its own to prune.
    expect(await repos.retention.prune('T1', cutoff, ago(1))).toEqual({ tasks: 0, turns: 0, events: 0 });
    expect(await repos.retention.prune('T2', cutoff, ago(1))).toEqual({ tasks: 1, turns: 1, events: 1 });
    expect(await repos.ids(`select file_id as id from thread_files order by file_id`)).toEqual([
      'F_KEPT_TASK',
      'F_RECENT',
    ]);
  });

  it('prunes check runs after RETENTION_DAYS, but keeps 31 days for the 30-day pass rate', async () => {
    await task(1, 1);
    await repos.exec(`insert into quality_checks (team_id, channel_id, task_id, thread_ts, name, sql, expectation, severity,
        source_name, schedule, time_zone, adopted_by, adopted_at, last_slot_at, alert)
      values ('T1', 'C1', 1, '1.0', 'a', 'select 1', '{}', 'critical', 'w', '{}', 'UTC', 'U1', 0, 0, '{}')`);
    for (const days of [40, 20, 1]) {
      await repos.exec(
        `insert into check_runs (team_id, check_id, slot_at, started_at) values ('T1', 1, ${ago(days)}, ${ago(days)})`,
      );
    }
    const daysOfRuns = async () =>
      (await repos.ids('select slot_at as id from check_runs order by slot_at')).map((at) =>
        Math.round((now - Number(at)) / DAY),
      );
    // RETENTION_DAYS=7: only the 40-day-old run goes.
    await repos.retention.prune('T1', cutoff, ago(1));
    expect(await daysOfRuns()).toEqual([20, 1]);
    await repos.retention.prune('T2', now, now);
    expect(await daysOfRuns()).toEqual([20, 1]);
  });

  it('finds a stored message by its ts, tells the request from a reply, and edits or deletes it', async () => {
    await task(1, 1);
    await turn(1, 1, '1.0');
    await turn(1, 1, null, 'T1', 'assistant');
    await turn(1, 1, '1.5');
    expect(await repos.retention.findMessage('T1', 'C1', '1.0')).toEqual({
      turnId: 1,
      taskId: 1,
      first: true,
      content: 'turn of 1',
    });
    expect(await repos.retention.findMessage('T1', 'C1', '1.5')).toMatchObject({ turnId: 3, first: false });
    expect(await repos.retention.findMessage('T1', 'C2', '1.5')).toBeUndefined();
    expect(await repos.retention.findMessage('T2', 'C1', '1.5')).toBeUndefined();
    await repos.retention.setTurnContent('T2', 3, 'hijacked');
    await repos.retention.setTurnContent('T1', 3, 'edited');
    expect((await repos.retention.findMessage('T1', 'C1', '1.5'))?.content).toBe('edited');
    await repos.retention.deleteTurn('T2', 3);
    expect(await repos.retention.findMessage('T1', 'C1', '1.5')).toBeDefined();
    await repos.retention.deleteTurn('T1', 3);
    expect(await repos.retention.findMessage('T1', 'C1', '1.5')).toBeUndefined();
    await repos.retention.setTaskText('T2', 1, 'x', 'x');
    await repos.retention.setTaskText('T1', 1, '(deleted)', 'Deleted request');
    expect(await repos.ids(`select title as id from tasks`)).toEqual(['Deleted request']);
  });

  it('concurrent: instances pruning the same team at once delete and count each task once', async () => {
    for (let n = 1; n <= 12; n++) {
      await task(n, 10);
      await turn(n, 10);
      await turn(n, 10);
    }
    await repos.openConnections();
    const results = await Promise.all([1, 2, 3, 4].map(() => repos.retention.prune('T1', cutoff, ago(1))));
    expect(results.reduce((sum, r) => sum + r.tasks, 0)).toBe(12);
    expect(results.reduce((sum, r) => sum + r.turns, 0)).toBe(24);
    expect(await repos.ids('select id from tasks')).toEqual([]);
  });

  it.runIf(name === 'PostgreSQL (server)')(
    'a conversation that gets a turn while it is being pruned is kept, with the turn',
    async () => {
      if (engine.dialect !== 'postgres') return;
      const { db } = engine.database;
      await task(1, 10);
      await turn(1, 10);
      await task(2, 10);
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let inserted = false;
      // Another instance adds a turn to task 1 and has not committed yet.
      const writer = db.transaction(async (tx) => {
        await tx.execute(
          sql`insert into turns (team_id, task_id, role, content) values ('T1', 1, 'user', 'back again')`,
        );
        inserted = true;
        await held;
      });
      await until(() => inserted);
      const pruning = repos.retention.prune('T1', cutoff, ago(1));
      // The prune waits on the writer's lock on task 1.
      await until(async () => {
        const waiting = await db.execute<{ n: number }>(
          sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
        );
        return (waiting.rows[0]?.n ?? 0) > 0;
      });
      release();
      await writer;
      expect(await pruning).toEqual({ tasks: 1, turns: 0, events: 0 });
      expect(await repos.ids('select id from tasks')).toEqual([1]);
      expect(await repos.ids(`select content as id from turns where task_id = 1 order by turns.id`)).toEqual([
        'turn of 1',
        'back again',
      ]);
    },
  );
});
