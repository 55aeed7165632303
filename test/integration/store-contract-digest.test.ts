import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCollaborationStore } from '../../src/store/collaboration-repo.js';
import { SqliteDigestStore } from '../../src/store/digest-repo.js';
import { PostgresCollaborationStore } from '../../src/store/postgres/collaboration-repo.js';
import { PostgresDigestStore } from '../../src/store/postgres/digest-repo.js';
import { openConnections } from '../support/concurrency.js';
import { execSql, resetStore, STORE_ENGINES, type StoreEngine } from '../support/store-engines.js';

/**
 * Digest settings, runs and facts behave the same on SQLite and PostgreSQL; a day's digest is claimed
 * once even when several instances look at the same moment.
 */

function reposOf(engine: StoreEngine) {
  if (engine.dialect === 'sqlite') {
    const { db } = engine.database;
    return {
      digests: new SqliteDigestStore(db, new SqliteCollaborationStore(db)),
      exec: (statement: string) => execSql(engine, statement),
      openConnections: async () => {},
    };
  }
  const { db } = engine.database;
  return {
    digests: new PostgresDigestStore(db, new PostgresCollaborationStore(db)),
    exec: (statement: string) => execSql(engine, statement),
    openConnections: () => openConnections(db),
  };
}

/**
 * The period is [1000, 2000). In T1/C1: task 1 asked and answered in it (model m1), task 2 asked and
 * failed in it (model m2), task 3 asked before it and waiting; task 4 in C2; task 5 of T2 in C1.
 */
const SEED = `
  insert into tasks (team_id, channel_id, thread_ts, requester_id, source, text, title, status, model,
      created_at, updated_at, completed_at) values
    ('T1', 'C1', '1.1', 'U1', 'command', 'a', 'Answered', 'done', 'm1', 1000, 1500, 1500),
    ('T1', 'C1', '1.2', 'U2', 'command', 'b', 'Failed', 'failed', 'm2', 1100, 1600, 1600),
    ('T1', 'C1', '1.3', 'U1', 'command', 'c', 'Waiting', 'waiting_for_answers', 'm1', 500, 600, null),
    ('T1', 'C2', '1.4', 'U1', 'command', 'd', 'Elsewhere', 'done', 'm1', 1200, 1300, 1300),
    ('T2', 'C1', '1.5', 'U1', 'command', 'e', 'Other team', 'done', 'm1', 1000, 1500, 1500);
  insert into turns (team_id, task_id, role, content, input_tokens, output_tokens, cache_read_tokens,
      cache_write_tokens, created_at) values
    ('T1', 1, 'assistant', 'x', 10, 5, 1, 2, 1200),
    ('T1', 1, 'assistant', 'x', 10, 5, 1, 2, 1300),
    ('T1', 2, 'assistant', 'x', 3, 1, 0, 0, 1300),
    ('T1', 1, 'assistant', 'x', 99, 99, 0, 0, 2500),
    ('T1', 4, 'assistant', 'x', 77, 77, 0, 0, 1300),
    ('T2', 5, 'assistant', 'x', 55, 55, 0, 0, 1300);
  insert into answer_feedback (team_id, turn_id, task_id, channel_id, user_id, vote, updated_at) values
    ('T1', 1, 1, 'C1', 'U1', 'up', 1200), ('T1', 1, 1, 'C1', 'U2', 'down', 1300),
    ('T1', 1, 1, 'C1', 'U3', 'up', 2500), ('T2', 6, 5, 'C1', 'U1', 'up', 1200);
  insert into collaboration_requests (team_id, task_id, channel_id, thread_ts, role, topic, topic_key,
      request, reason, status, created_at) values
    ('T1', 3, 'C1', '1.3', 'qa', 'Nulls', 'nulls', 'r', 'r', 'open', 700),
    ('T1', 1, 'C1', '1.1', 'qa', 'Dups', 'dups', 'r', 'r', 'done', 800);
  insert into quality_checks (team_id, channel_id, task_id, thread_ts, name, sql, expectation, severity,
      source_name, schedule, time_zone, adopted_by, adopted_at, last_slot_at, alert) values
    ('T1', 'C1', 1, '1.1', 'b_nulls', 'select 1', '{}', 'critical', 'w', '{}', 'UTC', 'U1', 0, 0, '{}'),
    ('T1', 'C1', 1, '1.1', 'a_dups', 'select 1', '{}', 'critical', 'w', '{}', 'UTC', 'U1', 0, 0, '{}');
  insert into check_runs (team_id, check_id, slot_at, result, observed, started_at, finished_at) values
    ('T1', 2, 1100, 'passed', '0 rows', 1100, 1110),
    ('T1', 2, 1200, 'failed', '3 rows', 1200, 1210),
    ('T1', 1, 1100, 'failed', '1 row', 1100, 1120),
    ('T1', 1, 1300, 'error', 'timed out', 1300, 1310),
    ('T1', 1, 2100, 'passed', '0 rows', 2100, 2110);
  update check_runs set false_positive = true where check_id = 1 and slot_at = 1100`;

describe.each(STORE_ENGINES)('digest store on %s', (_name, open) => {
  let engine: StoreEngine;
  let repos: ReturnType<typeof reposOf>;
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

  it('settings: saved in parts, read per channel and team', async () => {
    const digests = repos.digests;
    await digests.saveDigestSetting('T1', 'C1', { time: '09:00', timeZone: 'Europe/Paris' }, 'U1');
    await digests.saveDigestSetting('T1', 'C1', { enabled: false }, 'U2');
    await digests.saveDigestSetting('T1', 'C2', { enabled: true }, 'U2');
    expect(await digests.digestSetting('T1', 'C1')).toEqual({
      channelId: 'C1',
      enabled: false,
      time: '09:00',
      timeZone: 'Europe/Paris',
    });
    expect(await digests.digestSetting('T2', 'C1')).toBeUndefined();
    expect((await digests.digestSettings('T1')).map((s) => s.channelId).sort()).toEqual(['C1', 'C2']);
    expect(await digests.digestSettings('T2')).toEqual([]);
  });

  it('runs: claimed once a day, reclaimed only when stale, the last posted one remembered', async () => {
    const digests = repos.digests;
    expect(await digests.claimDigestRun('T1', 'C1', '2026-11-29')).toBe(true);
    expect(await digests.claimDigestRun('T1', 'C1', '2026-11-29')).toBe(false);
    expect(await digests.claimDigestRun('T2', 'C1', '2026-11-29')).toBe(true);
    const now = Date.now();
    expect(await digests.reclaimStaleDigestRun('T1', 'C1', '2026-11-29', now - 60_000)).toBe(false);
    expect(await digests.reclaimStaleDigestRun('T1', 'C1', '2026-11-29', now + 60_000)).toBe(true);
    await digests.finishDigestRun('T1', 'C1', '2026-11-29', {
      status: 'posted',
      parentTs: '5.5',
      fingerprint: 'f1',
    });
    // Finished: not 'posting' any more, never reclaimed.
    expect(await digests.reclaimStaleDigestRun('T1', 'C1', '2026-11-29', now + 60_000)).toBe(false);
    await digests.claimDigestRun('T1', 'C1', '2026-11-30');
    await digests.finishDigestRun('T1', 'C1', '2026-11-30', { status: 'empty' });
    await digests.claimDigestRun('T1', 'C1', '2026-11-28');
    await digests.finishDigestRun('T1', 'C1', '2026-11-28', {
      status: 'posted',
      parentTs: '4.4',
      fingerprint: 'f0',
    });
    expect(await digests.lastPostedDigest('T1', 'C1')).toEqual({
      localDate: '2026-11-29',
      fingerprint: 'f1',
    });
    expect(await digests.lastPostedDigest('T2', 'C1')).toBeUndefined();
    // A failed post releases the day: claimable again.
    await digests.claimDigestRun('T1', 'C2', '2026-11-30');
    await digests.releaseDigestRun('T1', 'C2', '2026-11-30');
    expect(await digests.claimDigestRun('T1', 'C2', '2026-11-30')).toBe(true);
  });

  it('concurrent: one instance claims the day, and one takes over a stale claim', async () => {
    const digests = repos.digests;
    await repos.openConnections();
    const claims = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => digests.claimDigestRun('T1', 'C1', '2026-11-30')),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    // A stale claim (created at 1000, stale before 2000): the first takeover restamps it, the rest see it fresh.
    await repos.exec(`update digest_runs set created_at = 1000`);
    await repos.openConnections();
    const fair = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => digests.reclaimStaleDigestRun('T1', 'C1', '2026-11-30', 2000)),
    );
    expect(fair.filter(Boolean)).toHaveLength(1);
  });

  it('channels worth a look: recent activity, waiting tasks, open requests, checks, settings', async () => {
    for (const statement of SEED.split(';').filter((s) => s.trim())) await repos.exec(statement);
    await repos.digests.saveDigestSetting('T1', 'C9', { enabled: false }, 'U1');
    expect(await repos.digests.digestChannels('T1', 1400)).toEqual(['C1', 'C9']);
    expect(await repos.digests.digestChannels('T1', 0)).toEqual(['C1', 'C2', 'C9']);
    expect(await repos.digests.digestChannels('T2', 1400)).toEqual(['C1']);
    expect(await repos.digests.digestChannels('T3', 0)).toEqual([]);
  });

  it('facts: lists with totals, standing items, usage per model, votes and checks of the period', async () => {
    for (const statement of SEED.split(';').filter((s) => s.trim())) await repos.exec(statement);
    const facts = await repos.digests.digestFacts('T1', 'C1', 1000, 2000, 1);
    expect(facts.asked).toMatchObject({
      total: 2,
      items: [{ id: 2, title: 'Failed', at: 1100, requesterId: 'U2' }],
    });
    expect(facts.answered).toEqual({
      total: 1,
      items: [
        {
          id: 1,
          title: 'Answered',
          status: 'done',
          channelId: 'C1',
          threadTs: '1.1',
          requesterId: 'U1',
          at: 1500,
        },
      ],
    });
    expect(facts.failed).toMatchObject({ total: 1, items: [{ id: 2, at: 1600 }] });
    expect(facts.waiting).toMatchObject({ total: 1, items: [{ id: 3, at: 600 }] });
    expect(facts.openRequests.total).toBe(1);
    expect(facts.openRequests.items.map((r) => r.topic)).toEqual(['Nulls']);
    expect(facts.standing).toEqual({
      waitingTaskIds: [3],
      openRequests: [{ id: 1, status: 'open', ownerKind: null, ownerId: null }],
    });
    expect(facts.usageByModel).toEqual([
      { model: 'm1', usage: { inputTokens: 20, outputTokens: 10, cacheReadTokens: 2, cacheWriteTokens: 4 } },
      { model: 'm2', usage: { inputTokens: 3, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 } },
    ]);
    expect(facts.feedback).toEqual({ up: 1, down: 1 });
    expect(facts.checks).toEqual({
      total: 2,
      runs: 3,
      passed: 2,
      errors: 1,
      failing: [{ name: 'a_dups', slotAt: 1200, observed: '3 rows' }],
      lastRunAt: 1310,
    });
    const other = await repos.digests.digestFacts('T2', 'C1', 1000, 2000, 5);
    expect(other.asked.items.map((t) => t.title)).toEqual(['Other team']);
    expect(other.usageByModel).toEqual([
      { model: 'm1', usage: { inputTokens: 55, outputTokens: 55, cacheReadTokens: 0, cacheWriteTokens: 0 } },
    ]);
    expect(other.checks).toBeUndefined();
    const empty = await repos.digests.digestFacts('T1', 'C3', 1000, 2000, 5);
    expect(empty).toMatchObject({
      asked: { total: 0, items: [] },
      usageByModel: [],
      feedback: { up: 0, down: 0 },
    });
    expect(empty.checks).toBeUndefined();
  });
});
