import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextAlert } from '../../src/core/quality-monitor/alert-policy.js';
import type { CheckDefinition } from '../../src/core/quality-monitor/check-definition.js';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteQualityCheckStore } from '../../src/store/quality-check-repo.js';
import { SqliteRetentionStore } from '../../src/store/retention-repo.js';

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

  const adoptIn = async (teamId: string, channelId: string, names: string[], adoptedBy = 'U1') => {
    const result = await store.adopt({
      teamId,
      channelId,
      taskId,
      threadTs: '1.1',
      sourceName: 'warehouse',
      schedule: { kind: 'hourly', minute: 0 },
      timeZone: 'UTC',
      adoptedBy,
      adoptedAt: new Date('2026-11-30T08:10:00Z'),
      nextSlotAt: new Date('2026-11-30T09:00:00Z'),
      checks: names.map(check),
      limits: { perChannel: 4, perTeam: 5 },
    });
    if ('full' in result) throw new Error(`full: ${result.full}`);
    return result;
  };

  it('keeps the latest proposal per task and name, and only for its team', async () => {
    const proposal = { ...check('a'), teamId: 'T1', taskId, sandboxObserved: '0 rows', sandboxPassed: true };
    await store.propose(proposal);
    await store.propose({ ...proposal, sql: 'select 2', sandboxPassed: false, sandboxObserved: '1 row' });
    expect(await store.proposals('T1', taskId)).toEqual([
      { ...proposal, sql: 'select 2', sandboxPassed: false, sandboxObserved: '1 row' },
    ]);
    expect(await store.proposals('T2', taskId)).toEqual([]);
  });

  it('never overwrites a check another adoption already named in the channel', async () => {
    expect((await adoptIn('T1', 'C1', ['a', 'b'])).adopted.map((c) => c.name)).toEqual(['a', 'b']);
    const again = await adoptIn('T1', 'C1', ['b', 'c'], 'U2');
    expect(again).toMatchObject({ taken: ['b'], adopted: [{ name: 'c', adoptedBy: 'U2' }] });
    expect((await store.byName('T1', 'C1', 'b'))?.adoptedBy).toBe('U1');
    expect((await adoptIn('T2', 'C1', ['b'])).adopted).toHaveLength(1);
    expect((await store.checksIn('T1', 'C1')).map((c) => c.name)).toEqual(['a', 'b', 'c']);
    // The caps are counted in the same transaction: 3 + 2 > 4 in the channel, then 5 + 1 > 5 in the team.
    await expect(adoptIn('T1', 'C1', ['d', 'e'])).rejects.toThrow('full: channel');
    await adoptIn('T1', 'C2', ['x', 'y']);
    await expect(adoptIn('T1', 'C3', ['z'])).rejects.toThrow('full: team');
    expect(await store.checksIn('T1', 'C3')).toEqual([]);
  });

  it('claims each slot once, moves the last slot, and stores the result with the alert state', async () => {
    const [a] = (await adoptIn('T1', 'C1', ['a'])).adopted;
    if (!a) throw new Error('not adopted');
    const slot = new Date('2026-11-30T09:00:00Z');
    const stale = new Date('2026-11-30T08:50:00Z');
    expect(
      await store.claimRun({ teamId: 'T2', checkId: a.id, slotAt: slot, nextSlotAt: undefined }, slot, stale),
    ).toBe(false);
    expect(
      await store.claimRun({ teamId: 'T1', checkId: a.id, slotAt: slot, nextSlotAt: undefined }, slot, stale),
    ).toBe(true);
    expect(
      await store.claimRun({ teamId: 'T1', checkId: a.id, slotAt: slot, nextSlotAt: undefined }, slot, stale),
    ).toBe(false);
    expect(await store.isRunning('T1', a.id, stale)).toBe(true);
    expect((await store.check('T1', a.id))?.lastSlotAt).toEqual(slot);
    const { state, action } = nextAlert(a.alert, false, slot);
    const run = { teamId: 'T1', checkId: a.id, slotAt: slot };
    expect(
      await store.finishRun(
        run,
        { result: { kind: 'failed', observed: '3 rows' }, alert: state, action },
        slot,
        new Date(0),
      ),
    ).toBe(false);
    expect(
      await store.finishRun(
        run,
        { result: { kind: 'failed', observed: '3 rows' }, alert: state, action },
        slot,
        slot,
      ),
    ).toBe(true);
    expect(await store.isRunning('T1', a.id, stale)).toBe(false);
    expect((await store.check('T1', a.id))?.alert).toEqual(state);
    expect(await store.unannounced(10)).toEqual([{ ...run, action: 'failure', observed: '3 rows' }]);
    await store.markAnnounced(run, '123.456');
    expect(await store.unannounced(10)).toEqual([]);
    expect(await store.runs('T1', a.id, new Date(0))).toEqual([
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
    expect(await store.runs('T2', a.id, new Date(0))).toEqual([]);
    // A finished run is never claimed again, however old.
    expect(
      await store.claimRun(
        { teamId: 'T1', checkId: a.id, slotAt: slot, nextSlotAt: undefined },
        new Date('2026-12-01T00:00:00Z'),
        new Date('2026-12-01T00:00:00Z'),
      ),
    ).toBe(false);
  });

  it('claims a run cut short again only once it is stale', async () => {
    const [a] = (await adoptIn('T1', 'C1', ['a'])).adopted;
    if (!a) throw new Error('not adopted');
    const slot = new Date('2026-11-30T09:00:00Z');
    await store.claimRun({ teamId: 'T1', checkId: a.id, slotAt: slot, nextSlotAt: undefined }, slot, slot);
    const early = new Date('2026-11-30T09:01:00Z');
    expect(await store.abandonedRuns(slot, 10)).toEqual([]);
    expect(
      await store.claimRun({ teamId: 'T1', checkId: a.id, slotAt: slot, nextSlotAt: undefined }, early, slot),
    ).toBe(false);
    const later = new Date('2026-11-30T09:20:00Z');
    const staleBefore = new Date('2026-11-30T09:10:00Z');
    expect(await store.abandonedRuns(staleBefore, 10)).toEqual([
      { teamId: 'T1', checkId: a.id, slotAt: slot },
    ]);
    expect(
      await store.claimRun(
        { teamId: 'T1', checkId: a.id, slotAt: slot, nextSlotAt: undefined },
        later,
        staleBefore,
      ),
    ).toBe(true);
    expect(await store.abandonedRuns(staleBefore, 10)).toEqual([]);
  });

  it('pauses, resumes from a new moment, lists only active checks, and deletes with the runs', async () => {
    const [a, b] = (await adoptIn('T1', 'C1', ['a', 'b'])).adopted;
    if (!a || !b) throw new Error('not adopted');
    await store.setState('T1', a.id, 'paused');
    expect((await store.dueChecks(new Date('2026-12-31T00:00:00Z'), 10)).map((c) => c.name)).toEqual(['b']);
    const resumed = new Date('2026-11-30T15:00:00Z');
    await store.setState('T1', a.id, 'active', { at: resumed, nextSlotAt: new Date('2026-11-30T16:00:00Z') });
    expect(await store.check('T1', a.id)).toMatchObject({ state: 'active', lastSlotAt: resumed });
    await store.claimRun(
      { teamId: 'T1', checkId: b.id, slotAt: resumed, nextSlotAt: undefined },
      resumed,
      resumed,
    );
    await store.remove('T2', b.id);
    expect(await store.check('T1', b.id)).toBeDefined();
    await store.remove('T1', b.id);
    expect(await store.check('T1', b.id)).toBeUndefined();
    expect(database.sqlite.prepare('select count(*) as n from check_runs').get()).toEqual({ n: 0 });
  });

  it('counts and records a QA ping in one step: two at once below the cap, only one passes', async () => {
    const now = new Date('2026-11-30T09:00:00Z');
    const since = new Date(now.getTime() - 24 * 3_600_000);
    expect(await store.claimPing('T1', 'C1', now, since, 2)).toBe(true);
    const both = await Promise.all([
      store.claimPing('T1', 'C1', now, since, 2),
      store.claimPing('T1', 'C1', now, since, 2),
    ]);
    expect(both.filter(Boolean)).toHaveLength(1);
    expect(await store.pingsSince('T1', 'C1', since)).toBe(2);
    // Per channel and team: another channel has its own cap.
    expect(await store.claimPing('T1', 'C2', now, since, 2)).toBe(true);
  });

  it('prunes check runs after RETENTION_DAYS, but keeps 31 days for the 30-day pass rate', async () => {
    const [a] = (await adoptIn('T1', 'C1', ['a'])).adopted;
    if (!a) throw new Error('not adopted');
    const day = 86_400_000;
    const now = Date.now();
    for (const daysAgo of [40, 20, 1]) {
      const slot = new Date(now - daysAgo * day);
      await store.claimRun({ teamId: 'T1', checkId: a.id, slotAt: slot, nextSlotAt: undefined }, slot, slot);
    }
    const retention = new SqliteRetentionStore(database.sqlite);
    // RETENTION_DAYS=7: only the 40-day-old run goes.
    await retention.prune('T1', now - 7 * day, now - day);
    expect(
      (await store.runs('T1', a.id, new Date(0))).map((r) => Math.round((now - r.slotAt.getTime()) / day)),
    ).toEqual([20, 1]);
    await retention.prune('T2', now, now);
    expect(await store.runs('T1', a.id, new Date(0))).toHaveLength(2);
  });
});
