import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresTaskStore } from '../../src/store/postgres/task-repo.js';
import { SqliteTaskStore } from '../../src/store/task-repo.js';
import { execSql, resetStore, STORE_ENGINES, type StoreEngine } from '../support/store-engines.js';

/** A task's state, usage and conversation behave the same on SQLite and PostgreSQL. */

function reposOf(engine: StoreEngine) {
  if (engine.dialect === 'sqlite') {
    const { db, sqlite } = engine.database;
    return {
      tasks: new SqliteTaskStore(db, sqlite),
      exec: (statement: string) => execSql(engine, statement),
      tokensToday: async () =>
        (
          sqlite
            .prepare(`select coalesce(sum(tokens), 0) as n from daily_usage where team_id = 'T1'`)
            .get() as {
            n: number;
          }
        ).n,
    };
  }
  const { db } = engine.database;
  return {
    tasks: new PostgresTaskStore(db),
    exec: (statement: string) => execSql(engine, statement),
    tokensToday: async () =>
      (
        await db.execute<{ n: number }>(
          sql`select coalesce(sum(tokens), 0)::int as n from daily_usage where team_id = 'T1'`,
        )
      ).rows[0]?.n,
  };
}

const usage = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 5, cacheWriteTokens: 1 };

describe.each(STORE_ENGINES)('task store on %s', (_name, open) => {
  let engine: StoreEngine;
  let repos: ReturnType<typeof reposOf>;
  beforeAll(async () => {
    engine = await open();
    repos = reposOf(engine);
  }, 60_000);
  beforeEach(async () => {
    await resetStore(engine);
    await repos.exec(`insert into tasks (team_id, channel_id, requester_id, source, text, title)
      values ('T1', 'C1', 'U1', 'command', 'orders', 'Orders')`);
    await repos.tasks.addTurn('T1', 1, { role: 'user', content: 'orders', userId: 'U1', slackTs: '1.0' });
  });
  afterAll(async () => {
    await engine.close();
  });

  it('state changes, per team; usage and cost add up; the day’s tokens are counted', async () => {
    await repos.tasks.setThread('T1', 1, '1.0');
    await repos.tasks.setThread('T2', 1, '9.9');
    expect((await repos.tasks.findTaskByThread('T1', 'C1', '1.0'))?.id).toBe(1);
    expect(await repos.tasks.findTaskByThread('T2', 'C1', '9.9')).toBeUndefined();
    expect(await repos.tasks.getTask('T2', 1)).toBeUndefined();
    await repos.tasks.markRunning('T1', 1, 'claude-sonnet-5-5');
    await repos.tasks.setAnswerTs('T1', 1, '2.0');
    await repos.tasks.setStopControlTs('T1', 1, '2.1');
    await repos.tasks.markContextTrimmed('T1', 1);
    await repos.tasks.markWaiting('T1', 1, usage, 0.25);
    await repos.tasks.failTask('T1', 1, 'model overloaded', usage, 0.25);
    await repos.tasks.completeTask('T1', 1, usage, 0.5);
    expect(await repos.tasks.getTask('T1', 1)).toMatchObject({
      status: 'done',
      threadTs: '1.0',
      answerTs: '2.0',
      stopControlTs: '2.1',
      contextTrimmed: true,
      failureReason: null,
    });
    expect(await repos.tokensToday()).toBe(3 * 126);
  });

  it('the reserved turn: reused after a crash, moved after replies that arrived meanwhile', async () => {
    const reserved = await repos.tasks.beginAssistantTurn('T1', 1);
    expect(reserved.messageTs).toEqual([]);
    await repos.tasks.setTurnMessages('T1', reserved.id, ['2.0', '2.1']);
    // The process died here; the job runs again.
    expect(await repos.tasks.beginAssistantTurn('T1', 1)).toEqual({
      id: reserved.id,
      messageTs: ['2.0', '2.1'],
    });
    await repos.tasks.addTurn('T1', 1, {
      role: 'user',
      content: 'also refunds',
      userId: 'U1',
      slackTs: '3.0',
    });
    const moved = await repos.tasks.beginAssistantTurn('T1', 1);
    expect(moved.id).toBeGreaterThan(reserved.id);
    expect(moved.messageTs).toEqual(['2.0', '2.1']);
    await repos.tasks.finishAssistantTurn('T1', moved.id, 'the answer', usage, '2.0');
    expect(await repos.tasks.listTurns('T1', 1)).toEqual([
      { role: 'user', content: 'orders' },
      { role: 'user', content: 'also refunds' },
      { role: 'assistant', content: 'the answer' },
    ]);
    const first = await repos.tasks.firstTurn('T1', 1);
    expect(first?.content).toBe('orders');
    await repos.tasks.setTurnContent('T1', first?.id ?? 0, 'orders (edited)');
    await repos.tasks.discardTurn('T1', moved.id);
    expect(await repos.tasks.listTurns('T1', 1)).toEqual([
      { role: 'user', content: 'orders (edited)' },
      { role: 'user', content: 'also refunds' },
    ]);
    expect(await repos.tasks.listTurns('T2', 1)).toEqual([]);
  });
});
