import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextAlert } from '../../src/core/quality-monitor/alert-policy.js';
import type { CheckDefinition } from '../../src/core/quality-monitor/check-definition.js';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteQualityCheckStore } from '../../src/store/quality-check-repo.js';

const check = (name: string): CheckDefinition => ({
  name,
  sql: `select * from orders where amount < 0 -- ${name}`,
  expectation: { kind: 'no_rows' },
  severity: 'critical',
});

describe('quality check store', () => {
  let database: OpenDatabase;
  let store: SqliteQualityCheckStore;
  let taskId: number;

  beforeEach(() => {
    database = openDatabase(':memory:');
    store = new SqliteQualityCheckStore(database.sqlite);
    taskId = Number(
      database.sqlite
        .prepare(
          `insert into tasks (team_id, channel_id, thread_ts, requester_id, source, text, title)
           values ('T1', 'C1', '1.1', 'U1', 'command', 'x', 'x')`,
        )
        .run().lastInsertRowid,
    );
  });
  afterEach(() => database.sqlite.close());

  const adoptIn = (teamId: string, channelId: string, names: string[], adoptedBy = 'U1') =>
    store.adopt({
      teamId,
      channelId,
      taskId,
      threadTs: '1.1',
      sourceName: 'warehouse',
      schedule: { kind: 'hourly', minute: 0 },
      timeZone: 'UTC',
      adoptedBy,
      adoptedAt: new Date('2026-11-30T08:10:00Z'),
      checks: names.map(check),
    });

  it('keeps the latest proposal per task and name, and only for its team', () => {
    const proposal = { ...check('a'), teamId: 'T1', taskId, sandboxObserved: '0 rows', sandboxPassed: true };
    store.propose(proposal);
    store.propose({ ...proposal, sql: 'select 2', sandboxPassed: false, sandboxObserved: '1 row' });
    expect(store.proposals('T1', taskId)).toEqual([
      { ...proposal, sql: 'select 2', sandboxPassed: false, sandboxObserved: '1 row' },
    ]);
    expect(store.proposals('T2', taskId)).toEqual([]);
  });

  it('never overwrites a check another adoption already named in the channel', () => {
    expect(adoptIn('T1', 'C1', ['a', 'b']).adopted.map((c) => c.name)).toEqual(['a', 'b']);
    const again = adoptIn('T1', 'C1', ['b', 'c'], 'U2');
    expect(again).toMatchObject({ taken: ['b'], adopted: [{ name: 'c', adoptedBy: 'U2' }] });
    expect(store.byName('T1', 'C1', 'b')?.adoptedBy).toBe('U1');
    expect(adoptIn('T2', 'C1', ['b']).adopted).toHaveLength(1);
    expect(store.checksIn('T1', 'C1').map((c) => c.name)).toEqual(['a', 'b', 'c']);
  });

  it('claims each slot once, moves the last slot, and stores the result with the alert state', () => {
    const [a] = adoptIn('T1', 'C1', ['a']).adopted;
    if (!a) throw new Error('not adopted');
    const slot = new Date('2026-11-30T09:00:00Z');
    const stale = new Date('2026-11-30T08:50:00Z');
    expect(store.claimRun('T2', a.id, slot, slot, stale)).toBe(false);
    expect(store.claimRun('T1', a.id, slot, slot, stale)).toBe(true);
    expect(store.claimRun('T1', a.id, slot, slot, stale)).toBe(false);
    expect(store.isRunning('T1', a.id, stale)).toBe(true);
    expect(store.check('T1', a.id)?.lastSlotAt).toEqual(slot);
    const { state, action } = nextAlert(a.alert, false, slot);
    const run = { teamId: 'T1', checkId: a.id, slotAt: slot };
    store.finishRun(run, { result: { kind: 'failed', observed: '3 rows' }, alert: state, action }, slot);
    expect(store.isRunning('T1', a.id, stale)).toBe(false);
    expect(store.check('T1', a.id)?.alert).toEqual(state);
    expect(store.unannounced(10)).toEqual([{ ...run, action: 'failure', observed: '3 rows' }]);
    store.markAnnounced(run, '123.456');
    expect(store.unannounced(10)).toEqual([]);
    expect(store.runs('T1', a.id, new Date(0))).toEqual([
      {
        checkId: a.id,
        slotAt: slot,
        startedAt: slot,
        finishedAt: slot,
        result: { kind: 'failed', observed: '3 rows' },
        action: 'failure',
        announcedTs: '123.456',
        falsePositive: false,
      },
    ]);
    expect(store.runs('T2', a.id, new Date(0))).toEqual([]);
    // A finished run is never claimed again, however old.
    expect(
      store.claimRun('T1', a.id, slot, new Date('2026-12-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z')),
    ).toBe(false);
  });

  it('claims a run cut short again only once it is stale', () => {
    const [a] = adoptIn('T1', 'C1', ['a']).adopted;
    if (!a) throw new Error('not adopted');
    const slot = new Date('2026-11-30T09:00:00Z');
    store.claimRun('T1', a.id, slot, slot, slot);
    const early = new Date('2026-11-30T09:01:00Z');
    expect(store.abandonedRuns(slot, 10)).toEqual([]);
    expect(store.claimRun('T1', a.id, slot, early, slot)).toBe(false);
    const later = new Date('2026-11-30T09:20:00Z');
    const staleBefore = new Date('2026-11-30T09:10:00Z');
    expect(store.abandonedRuns(staleBefore, 10)).toEqual([{ teamId: 'T1', checkId: a.id, slotAt: slot }]);
    expect(store.claimRun('T1', a.id, slot, later, staleBefore)).toBe(true);
    expect(store.abandonedRuns(staleBefore, 10)).toEqual([]);
  });

  it('pauses, resumes from a new moment, lists only active checks, and deletes with the runs', () => {
    const [a, b] = adoptIn('T1', 'C1', ['a', 'b']).adopted;
    if (!a || !b) throw new Error('not adopted');
    store.setState('T1', a.id, 'paused');
    expect(store.activeChecks(10).map((c) => c.name)).toEqual(['b']);
    const resumed = new Date('2026-11-30T15:00:00Z');
    store.setState('T1', a.id, 'active', resumed);
    expect(store.check('T1', a.id)).toMatchObject({ state: 'active', lastSlotAt: resumed });
    store.claimRun('T1', b.id, resumed, resumed, resumed);
    store.remove('T2', b.id);
    expect(store.check('T1', b.id)).toBeDefined();
    store.remove('T1', b.id);
    expect(store.check('T1', b.id)).toBeUndefined();
    expect(database.sqlite.prepare('select count(*) as n from check_runs').get()).toEqual({ n: 0 });
  });
});
