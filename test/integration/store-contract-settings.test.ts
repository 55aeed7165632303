import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_VOTE_CHANGES } from '../../src/core/feedback/feedback.js';
import { SqliteAssistantThreadStore } from '../../src/store/assistant-repo.js';
import { SqliteChannelSourceStore } from '../../src/store/channel-source-repo.js';
import { SqliteDataToolAuditStore } from '../../src/store/data-audit-repo.js';
import { SqliteFeedbackStore } from '../../src/store/feedback-repo.js';
import { SqliteHomeStore } from '../../src/store/home-repo.js';
import { SqliteLimitStore } from '../../src/store/limits-repo.js';
import { SqliteOwners } from '../../src/store/owner-repo.js';
import {
  PostgresDataToolAuditStore,
  PostgresHomeStore,
} from '../../src/store/postgres/audit-and-home-repos.js';
import { PostgresFeedbackStore } from '../../src/store/postgres/feedback-repo.js';
import { PostgresLimitStore } from '../../src/store/postgres/limits-repo.js';
import {
  PostgresAssistantThreadStore,
  PostgresChannelSourceStore,
  PostgresOwners,
  PostgresTeamContextStore,
} from '../../src/store/postgres/settings-repos.js';
import { SqliteTeamContextStore } from '../../src/store/team-context-repo.js';
import { execSql, resetStore, STORE_ENGINES, type StoreEngine } from '../support/store-engines.js';

/**
 * The settings, feedback, limits, audit and Home repositories behave the same on SQLite and on
 * PostgreSQL (PGlite, and a real server in CI): one body of tests runs on each.
 */

function reposOf(engine: StoreEngine) {
  if (engine.dialect === 'sqlite') {
    const { db, sqlite } = engine.database;
    return {
      owners: new SqliteOwners(db),
      sources: new SqliteChannelSourceStore(db),
      contexts: new SqliteTeamContextStore(db),
      assistant: new SqliteAssistantThreadStore(sqlite),
      feedback: new SqliteFeedbackStore(sqlite),
      limits: new SqliteLimitStore(sqlite),
      audit: new SqliteDataToolAuditStore(db),
      home: new SqliteHomeStore(db),
      exec: (statement: string) => execSql(engine, statement),
    };
  }
  const { db } = engine.database;
  return {
    owners: new PostgresOwners(db),
    sources: new PostgresChannelSourceStore(db),
    contexts: new PostgresTeamContextStore(db),
    assistant: new PostgresAssistantThreadStore(db),
    feedback: new PostgresFeedbackStore(db),
    limits: new PostgresLimitStore(db),
    audit: new PostgresDataToolAuditStore(db),
    home: new PostgresHomeStore(db),
    exec: (statement: string) => execSql(engine, statement),
  };
}

/** A task of T1 in C1 by U1 (id 1) with an assistant turn (id 1), and one of T2 (id 2). */
const SEED = `
  insert into tasks (team_id, channel_id, requester_id, source, text, title, created_at)
    values ('T1', 'C1', 'U1', 'command', 'orders', 'Orders pipeline', 1000),
           ('T2', 'C1', 'U1', 'command', 'secret', 'Other workspace', 2000);
  insert into turns (team_id, task_id, role, content) values ('T1', 1, 'assistant', 'answer');`;

describe.each(STORE_ENGINES)('settings and feedback repositories on %s', (_name, open) => {
  let engine: StoreEngine;
  let repos: ReturnType<typeof reposOf>;
  beforeAll(async () => {
    engine = await open();
    repos = reposOf(engine);
  }, 60_000);
  beforeEach(async () => {
    await resetStore(engine);
    for (const statement of SEED.split(';').filter((s) => s.trim())) await repos.exec(statement);
  });
  afterAll(async () => {
    await engine.close();
  });

  it('owners: a channel owner overrides the workspace default, per team', async () => {
    await repos.owners.setOwner('T1', undefined, 'qa', { kind: 'user', id: 'UQA' }, 'UADMIN');
    await repos.owners.setOwner('T1', 'C1', 'qa', { kind: 'group', id: 'SQA' }, 'UADMIN');
    await repos.owners.setOwner('T1', undefined, 'qa', { kind: 'user', id: 'UQA2' }, 'UADMIN');
    const inC1 = await repos.owners.effectiveOwners('T1', 'C1');
    expect(inC1.get('qa')).toMatchObject({ kind: 'group', id: 'SQA', scope: 'channel' });
    expect((await repos.owners.effectiveOwners('T1', 'C2')).get('qa')).toMatchObject({
      id: 'UQA2',
      scope: 'workspace',
    });
    expect((await repos.owners.effectiveOwners('T2', 'C1')).size).toBe(0);
    expect(await repos.owners.clearOwner('T1', 'C1', 'qa')).toBe(true);
    expect(await repos.owners.clearOwner('T1', 'C1', 'qa')).toBe(false);
  });

  it('channel source and team context: set, replace, read per team, remove once', async () => {
    await repos.sources.useSource('T1', 'C1', 'warehouse', 'UADMIN');
    await repos.sources.useSource('T1', 'C1', 'lake', 'UADMIN');
    expect(await repos.sources.sourceOf('T1', 'C1')).toMatchObject({ sourceName: 'lake', setBy: 'UADMIN' });
    expect(await repos.sources.sourceOf('T2', 'C1')).toBeUndefined();
    expect(await repos.sources.removeSource('T1', 'C1', 'warehouse')).toBe(false);
    expect(await repos.sources.removeSource('T1', 'C1', 'lake')).toBe(true);

    await repos.contexts.setContext('T1', 'C1', 'Snowflake + dbt', 'UADMIN');
    expect((await repos.contexts.contextOf('T1', 'C1'))?.text).toBe('Snowflake + dbt');
    expect(await repos.contexts.contextOf('T2', 'C1')).toBeUndefined();
    expect(await repos.contexts.clearContext('T1', 'C1')).toBe(true);
    expect(await repos.contexts.clearContext('T1', 'C1')).toBe(false);
  });

  it('side-panel threads: remembered once, per team', async () => {
    const thread = { teamId: 'T1', channelId: 'D1', threadTs: '1.0', userId: 'U1' };
    await repos.assistant.rememberThread(thread);
    await repos.assistant.rememberThread({ ...thread, contextChannelId: 'C9' });
    expect(await repos.assistant.isAssistantThread('T1', 'D1', '1.0')).toBe(true);
    expect(await repos.assistant.isAssistantThread('T2', 'D1', '1.0')).toBe(false);
  });

  it('feedback: one vote per person, changed a bounded number of times; clicks at once store one', async () => {
    expect(await repos.feedback.answerIn('T1', 'C1', 1)).toEqual({ taskId: 1 });
    expect(await repos.feedback.answerIn('T1', 'C2', 1)).toBeUndefined();
    expect(await repos.feedback.answerIn('T2', 'C1', 1)).toBeUndefined();
    const answer = { turnId: 1, taskId: 1, channelId: 'C1' };
    const burst = await Promise.all([1, 2, 3, 4].map(() => repos.feedback.vote('T1', answer, 'U2', 'up')));
    expect(burst.filter((write) => write === 'stored')).toHaveLength(1);
    expect(burst.filter((write) => write === 'unchanged')).toHaveLength(3);
    const changes = [];
    for (let i = 0; i <= MAX_VOTE_CHANGES; i++) {
      changes.push(await repos.feedback.vote('T1', answer, 'U2', i % 2 === 0 ? 'down' : 'up'));
    }
    expect(changes.at(-1)).toBe('too_many_changes');
    expect(changes.filter((write) => write === 'changed')).toHaveLength(MAX_VOTE_CHANGES);
    // A note goes with a 👎 only.
    await repos.feedback.vote('T1', answer, 'U4', 'up');
    expect(await repos.feedback.comment('T1', 1, 'U4', 'wrong')).toBe(false);
    await repos.feedback.vote('T1', answer, 'U3', 'down');
    expect(await repos.feedback.comment('T1', 1, 'U3', '  wrong join  ')).toBe(true);
    expect(await repos.feedback.feedbackCounts('T1', 'C1', 0)).toEqual({ up: 1, down: 2 });
    expect(await repos.feedback.feedbackCounts('T2', 'C1', 0)).toEqual({ up: 0, down: 0 });
  });

  it('limits: the admission at the offset, the day’s tokens summed, a stored message recognised', async () => {
    const query = { since: 0, offset: 1, day: '2026-11-30', channelId: 'C1', slackTs: '5.5' };
    expect(await repos.limits.limitFacts('T1', 'U1', query)).toEqual({
      limitHitAt: undefined,
      tokensToday: 0,
      alreadyStored: false,
    });
    await repos.exec(
      `insert into admissions (team_id, user_id, at) values ('T1', 'U1', 100), ('T1', 'U1', 200)`,
    );
    await repos.exec(`insert into admissions (team_id, user_id, at) values ('T2', 'U1', 300)`);
    await repos.exec(`insert into events_seen (team_id, channel_id, message_ts) values ('T1', 'C1', '5.5')`);
    const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 3, cacheWriteTokens: 2 };
    await repos.limits.addUsage('T1', '2026-11-30', usage);
    await repos.limits.addUsage('T1', '2026-11-30', usage);
    expect(await repos.limits.limitFacts('T1', 'U1', query)).toEqual({
      limitHitAt: 100,
      tokensToday: 40,
      alreadyStored: true,
    });
    expect((await repos.limits.limitFacts('T2', 'U1', query)).tokensToday).toBe(0);
  });

  it('audit and Home: newest first, capped, per team', async () => {
    const call = {
      teamId: 'T1',
      channelId: 'C1',
      userId: 'U1',
      taskId: 1,
      sourceName: 'warehouse',
      tool: 'run_query',
      statement: 'select 1',
      rowsReturned: 1,
      durationMs: 3.4,
      refused: false,
    };
    await repos.audit.record(call);
    await repos.audit.record({ ...call, tool: 'list_tables', refused: true, reason: 'not allowed' });
    await repos.audit.record({ ...call, teamId: 'T2' });
    const recent = await repos.audit.recent('T1', { limit: 500 });
    expect(recent.map((row) => [row.tool, row.refused, row.durationMs])).toEqual([
      ['list_tables', true, 3],
      ['run_query', false, 3],
    ]);
    expect(recent[0]?.reason).toBe('not allowed');
    expect(await repos.audit.recent('T1', { channelId: 'C2', limit: 5 })).toEqual([]);

    const tasks = await repos.home.recentTasksOf('T1', 'U1', 5);
    expect(tasks.map((task) => task.title)).toEqual(['Orders pipeline']);
    expect(await repos.home.openRequestsOwnedBy('T1', 'U1', 5)).toEqual([]);
  });
});
