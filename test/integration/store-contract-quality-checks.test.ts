import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nextAlert } from '../../src/core/quality-monitor/alert-policy.js';
import type { CheckDefinition } from '../../src/core/quality-monitor/check-definition.js';
import type { ClaimRef } from '../../src/core/quality-monitor/check-store.js';
import { PostgresQualityCheckStore } from '../../src/store/postgres/quality-check-repo.js';
import { SqliteQualityCheckStore } from '../../src/store/quality-check-repo.js';
import { openConnections } from '../support/concurrency.js';
import { execSql, resetStore, STORE_ENGINES, type StoreEngine } from '../support/store-engines.js';

/**
 * The scheduled checks' store behaves the same on SQLite and PostgreSQL (the cases of
 * test/unit/quality-check-store.test.ts, and more); on PostgreSQL several instances run the checks at
 * once, so every claim is also fired concurrently and must be won once.
 */

function reposOf(engine: StoreEngine) {
  if (engine.dialect === 'sqlite') {
    const { sqlite } = engine.database;
    const checks = new SqliteQualityCheckStore(sqlite);
    return {
      checks,
      claimPing: (teamId: string, channelId: string, at: Date, since: Date, max: number) =>
        checks.claimPing(teamId, channelId, at, since, max),
      exec: (statement: string) => execSql(engine, statement),
      count: async (table: string) =>
        (sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n,
      openConnections: async () => {},
    };
  }
  const { db } = engine.database;
  const checks = new PostgresQualityCheckStore(db);
  return {
    checks,
    claimPing: (teamId: string, channelId: string, at: Date, since: Date, max: number) =>
      checks.claimPing(teamId, channelId, at, since, max),
    exec: (statement: string) => execSql(engine, statement),
    count: async (table: string) =>
      (await db.execute<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`))).rows[0]?.n ?? 0,
    openConnections: () => openConnections(db),
  };
}

const check = (name: string): CheckDefinition => ({
  name,
  sql: `select * from orders where amount < 0 -- ${name}`,
  expectation: { kind: 'no_rows' },
  severity: 'critical',
});

const SLOT = new Date('2026-11-30T09:00:00Z');
const STALE = new Date('2026-11-30T08:50:00Z');
const ref = (checkId: number, slotAt = SLOT, teamId = 'T1'): ClaimRef => ({
  teamId,
  checkId,
  slotAt,
  nextSlotAt: undefined,
});

describe.each(STORE_ENGINES)('quality check store on %s', (_name, open) => {
  let engine: StoreEngine;
  let repos: ReturnType<typeof reposOf>;
  beforeAll(async () => {
    engine = await open();
    repos = reposOf(engine);
  }, 60_000);
  beforeEach(async () => {
    await resetStore(engine);
    await repos.exec(`insert into tasks (team_id, channel_id, thread_ts, requester_id, source, text, title)
      values ('T1', 'C1', '1.1', 'U1', 'command', 'x', 'x')`);
  });
  afterAll(async () => {
    await engine.close();
  });

  const adopt = (
    teamId: string,
    channelId: string,
    names: string[],
    adoptedBy = 'U1',
    limits = { perChannel: 4, perTeam: 5 },
  ) =>
    repos.checks.adopt({
      teamId,
      channelId,
      taskId: 1,
      threadTs: '1.1',
      sourceName: 'warehouse',
      schedule: { kind: 'hourly', minute: 0 },
      timeZone: 'UTC',
      adoptedBy,
      adoptedAt: new Date('2026-11-30T08:10:00Z'),
      nextSlotAt: new Date('2026-11-30T09:00:00Z'),
      checks: names.map(check),
      limits,
    });
  const adoptIn = async (teamId: string, channelId: string, names: string[], adoptedBy = 'U1') => {
    const result = await adopt(teamId, channelId, names, adoptedBy);
    if ('full' in result) throw new Error(`full: ${result.full}`);
    return result;
  };
  const adoptOne = async (name = 'a') => {
    const [adopted] = (await adoptIn('T1', 'C1', [name])).adopted;
    if (!adopted) throw new Error('not adopted');
    return adopted;
  };
  /** A finished failed run of the check's slot, announced or not. */
  const failedRun = async (checkId: number, slotAt = SLOT) => {
    await repos.checks.claimRun(ref(checkId, slotAt), slotAt, STALE);
    const { state, action } = nextAlert({ status: 'unknown', changes: [], flapping: false }, false, slotAt);
    const run = { teamId: 'T1', checkId, slotAt };
    await repos.checks.finishRun(
      run,
      { result: { kind: 'failed', observed: '3 rows' }, alert: state, action },
      slotAt,
      slotAt,
    );
    return run;
  };

  it('keeps the latest proposal per task and name, and only for its team', async () => {
    const proposal = {
      ...check('a'),
      teamId: 'T1',
      taskId: 1,
      sandboxObserved: '0 rows',
      sandboxPassed: true,
    };
    await repos.checks.propose(proposal);
    await repos.checks.propose({
      ...proposal,
      sql: 'select 2',
      sandboxPassed: false,
      sandboxObserved: '1 row',
    });
    expect(await repos.checks.proposals('T1', 1)).toEqual([
      { ...proposal, sql: 'select 2', sandboxPassed: false, sandboxObserved: '1 row' },
    ]);
    expect(await repos.checks.proposals('T2', 1)).toEqual([]);
  });

  it('offers each proposal once, to one answer; a re-proposed check is new; concurrent offers split nothing twice', async () => {
    const proposal = (name: string) => ({
      ...check(name),
      teamId: 'T1',
      taskId: 1,
      sandboxObserved: '0 rows',
      sandboxPassed: true,
    });
    await repos.checks.propose(proposal('b'));
    await repos.checks.propose(proposal('a'));
    expect((await repos.checks.offer('T1', 1, 10)).map((p) => p.name).sort()).toEqual(['a', 'b']);
    // Asked again for the same answer (a resumed step): the same set; another answer gets nothing.
    expect((await repos.checks.offer('T1', 1, 10)).map((p) => p.name).sort()).toEqual(['a', 'b']);
    expect(await repos.checks.offer('T1', 1, 11)).toEqual([]);
    await repos.checks.propose({ ...proposal('a'), sql: 'select 3' });
    expect((await repos.checks.offer('T1', 1, 12)).map((p) => p.sql)).toEqual(['select 3']);
    expect((await repos.checks.offeredBy('T1', 1, 10)).map((p) => p.name)).toEqual(['b']);
    expect(await repos.checks.offeredBy('T2', 1, 12)).toEqual([]);

    await repos.checks.propose(proposal('c'));
    await repos.checks.propose(proposal('d'));
    await repos.openConnections();
    const offers = await Promise.all([20, 21, 22, 23].map((turn) => repos.checks.offer('T1', 1, turn)));
    expect(
      offers
        .flat()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['c', 'd']);
  });

  it('never overwrites a check another adoption already named in the channel; caps per channel and team', async () => {
    expect((await adoptIn('T1', 'C1', ['a', 'b'])).adopted.map((c) => c.name)).toEqual(['a', 'b']);
    const again = await adoptIn('T1', 'C1', ['b', 'c'], 'U2');
    expect(again).toMatchObject({ taken: ['b'], adopted: [{ name: 'c', adoptedBy: 'U2' }] });
    expect((await repos.checks.byName('T1', 'C1', 'b'))?.adoptedBy).toBe('U1');
    expect((await adoptIn('T2', 'C1', ['b'])).adopted).toHaveLength(1);
    expect((await repos.checks.checksIn('T1', 'C1')).map((c) => c.name)).toEqual(['a', 'b', 'c']);
    await expect(adoptIn('T1', 'C1', ['d', 'e'])).rejects.toThrow('full: channel');
    await adoptIn('T1', 'C2', ['x', 'y']);
    await expect(adoptIn('T1', 'C3', ['z'])).rejects.toThrow('full: team');
    expect(await repos.checks.checksIn('T1', 'C3')).toEqual([]);
  });

  it('an adopted check reads back whole', async () => {
    const a = await adoptOne('a');
    expect(a).toEqual({
      id: a.id,
      teamId: 'T1',
      channelId: 'C1',
      taskId: 1,
      threadTs: '1.1',
      ...check('a'),
      sourceName: 'warehouse',
      schedule: { kind: 'hourly', minute: 0 },
      timeZone: 'UTC',
      adoptedBy: 'U1',
      state: 'active',
      lastSlotAt: new Date('2026-11-30T08:10:00Z'),
      nextSlotAt: new Date('2026-11-30T09:00:00Z'),
      alert: { status: 'unknown', changes: [], flapping: false },
    });
    expect(await repos.checks.check('T1', a.id)).toEqual(a);
    expect(await repos.checks.check('T2', a.id)).toBeUndefined();
  });

  it('concurrent: adoptions at once cannot pass a cap together, and a name goes to one adopter', async () => {
    await repos.openConnections();
    const capped = await Promise.all(
      [
        ['a', 'b', 'c'],
        ['d', 'e', 'f'],
        ['g', 'h', 'i'],
      ].map((names, i) => adopt('T1', 'C1', names, `U${i}`)),
    );
    expect(capped.filter((result) => 'full' in result)).toHaveLength(2);
    expect(await repos.checks.checksIn('T1', 'C1')).toHaveLength(3);
    await repos.openConnections();
    const named = await Promise.all(
      ['U1', 'U2', 'U3', 'U4'].map((user) => adopt('T1', 'C2', ['same'], user)),
    );
    const adopted = named.flatMap((result) => ('adopted' in result ? result.adopted : []));
    expect(adopted).toHaveLength(1);
    expect(named.flatMap((result) => ('taken' in result ? result.taken : []))).toEqual([
      'same',
      'same',
      'same',
    ]);
    expect((await repos.checks.byName('T1', 'C2', 'same'))?.adoptedBy).toBe(adopted[0]?.adoptedBy);
  });

  it('claims each slot once, moves the last slot, and stores the result with the alert state', async () => {
    const a = await adoptOne();
    expect(await repos.checks.claimRun(ref(a.id, SLOT, 'T2'), SLOT, STALE)).toBe(false);
    expect(
      await repos.checks.claimRun(
        { ...ref(a.id), nextSlotAt: new Date('2026-11-30T10:00:00Z') },
        SLOT,
        STALE,
      ),
    ).toBe(true);
    expect(await repos.checks.claimRun(ref(a.id), SLOT, STALE)).toBe(false);
    expect(await repos.checks.isRunning('T1', a.id, STALE)).toBe(true);
    expect(await repos.checks.isRunning('T2', a.id, STALE)).toBe(false);
    expect(await repos.checks.check('T1', a.id)).toMatchObject({
      lastSlotAt: SLOT,
      nextSlotAt: new Date('2026-11-30T10:00:00Z'),
    });
    // An older slot claimed late does not move the last slot back.
    const earlier = new Date('2026-11-30T08:00:00Z');
    expect(await repos.checks.claimRun(ref(a.id, earlier), SLOT, STALE)).toBe(true);
    expect((await repos.checks.check('T1', a.id))?.lastSlotAt).toEqual(SLOT);
    const { state, action } = nextAlert(a.alert, false, SLOT);
    const run = { teamId: 'T1', checkId: a.id, slotAt: SLOT };
    const outcome = { result: { kind: 'failed' as const, observed: '3 rows' }, alert: state, action };
    expect(await repos.checks.finishRun(run, outcome, SLOT, new Date(0))).toBe(false);
    expect(await repos.checks.finishRun(run, outcome, SLOT, SLOT)).toBe(true);
    expect(await repos.checks.finishRun(run, outcome, SLOT, SLOT)).toBe(false);
    expect((await repos.checks.check('T1', a.id))?.alert).toEqual(state);
    expect(await repos.checks.unannounced(10)).toEqual([{ ...run, action: 'failure', observed: '3 rows' }]);
    await repos.checks.markAnnounced(run, '123.456');
    expect(await repos.checks.unannounced(10)).toEqual([]);
    expect(await repos.checks.run(run)).toEqual({
      checkId: a.id,
      slotAt: SLOT,
      startedAt: SLOT,
      finishedAt: SLOT,
      result: { kind: 'failed', observed: '3 rows' },
      action: 'failure',
      announcedTs: '123.456',
      falsePositive: false,
    });
    expect((await repos.checks.runs('T1', a.id, new Date(0))).map((r) => r.slotAt)).toEqual([earlier, SLOT]);
    expect(await repos.checks.runs('T1', a.id, SLOT)).toHaveLength(1);
    expect(await repos.checks.runs('T2', a.id, new Date(0))).toEqual([]);
    expect(await repos.checks.run({ ...run, teamId: 'T2' })).toBeUndefined();
    // A finished run is never claimed again, however old.
    const later = new Date('2026-12-01T00:00:00Z');
    expect(await repos.checks.claimRun(ref(a.id), later, later)).toBe(false);
  });

  it('claims a run cut short again only once it is stale; a restamped run is not taken for dead', async () => {
    const a = await adoptOne();
    await repos.checks.claimRun(ref(a.id), SLOT, SLOT);
    const early = new Date('2026-11-30T09:01:00Z');
    expect(await repos.checks.abandonedRuns(SLOT, 10)).toEqual([]);
    expect(await repos.checks.claimRun(ref(a.id), early, SLOT)).toBe(false);
    const later = new Date('2026-11-30T09:20:00Z');
    const staleBefore = new Date('2026-11-30T09:10:00Z');
    expect(await repos.checks.abandonedRuns(staleBefore, 10)).toEqual([
      { teamId: 'T1', checkId: a.id, slotAt: SLOT },
    ]);
    expect(await repos.checks.claimRun(ref(a.id), later, staleBefore)).toBe(true);
    expect(await repos.checks.abandonedRuns(staleBefore, 10)).toEqual([]);
    // The old claimant's restamp and finish fail: the run is the new claimant's.
    const run = { teamId: 'T1', checkId: a.id, slotAt: SLOT };
    expect(await repos.checks.startRun(run, SLOT, early)).toBe(false);
    const restamped = new Date('2026-11-30T09:25:00Z');
    expect(await repos.checks.startRun(run, later, restamped)).toBe(true);
    expect((await repos.checks.run(run))?.startedAt).toEqual(restamped);
    expect(await repos.checks.startRun({ ...run, teamId: 'T2' }, restamped, restamped)).toBe(false);
  });

  it('concurrent: a slot claimed by several instances at once runs once; overlapping batches split the runs', async () => {
    const [a, b, c] = (await adoptIn('T1', 'C1', ['a', 'b', 'c'])).adopted;
    if (!a || !b || !c) throw new Error('not adopted');
    await repos.openConnections();
    const single = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => repos.checks.claimRun(ref(a.id), SLOT, STALE)),
    );
    expect(single.filter(Boolean)).toHaveLength(1);

    const slot2 = new Date('2026-11-30T10:00:00Z');
    const batch = [ref(a.id, slot2), ref(b.id, slot2), ref(c.id, slot2)];
    await repos.openConnections();
    const batches = await Promise.all([
      repos.checks.claimRuns(batch, slot2, STALE),
      repos.checks.claimRuns([...batch].reverse(), slot2, STALE),
      repos.checks.claimRuns([batch[1] as ClaimRef, batch[2] as ClaimRef], slot2, STALE),
      repos.checks.claimRuns([batch[2] as ClaimRef, batch[0] as ClaimRef], slot2, STALE),
    ]);
    expect(
      batches
        .flat()
        .map((run) => run.checkId)
        .sort((x, y) => x - y),
    ).toEqual([a.id, b.id, c.id]);

    // A stale run taken over by several instances at once: one takes it.
    await repos.exec(`update check_runs set started_at = 1000 where slot_at = ${SLOT.getTime()}`);
    const takeover = new Date('2026-11-30T09:30:00Z');
    await repos.openConnections();
    const takeovers = await Promise.all(
      [1, 2, 3, 4].map(() => repos.checks.claimRun(ref(a.id), takeover, STALE)),
    );
    expect(takeovers.filter(Boolean)).toHaveLength(1);
    expect(await repos.count('check_runs')).toBe(4);
  });

  it('concurrent: a run is restamped and finished by one process only', async () => {
    const a = await adoptOne();
    await repos.checks.claimRun(ref(a.id), SLOT, STALE);
    const run = { teamId: 'T1', checkId: a.id, slotAt: SLOT };
    const started = new Date('2026-11-30T09:05:00Z');
    await repos.openConnections();
    const starts = await Promise.all(
      [1, 2, 3, 4].map((i) => repos.checks.startRun(run, SLOT, new Date(started.getTime() + i))),
    );
    expect(starts.filter(Boolean)).toHaveLength(1);
    const startedAt = (await repos.checks.run(run))?.startedAt as Date;
    const { state, action } = nextAlert(a.alert, true, SLOT);
    await repos.openConnections();
    const finishes = await Promise.all(
      ['0 rows', '1 row', '2 rows', '3 rows'].map((observed) =>
        repos.checks.finishRun(
          run,
          { result: { kind: 'passed', observed }, alert: state, action },
          SLOT,
          startedAt,
        ),
      ),
    );
    expect(finishes.filter(Boolean)).toHaveLength(1);
    expect((await repos.checks.run(run))?.result?.observed).toBe(
      ['0 rows', '1 row', '2 rows', '3 rows'][finishes.indexOf(true)],
    );
  });

  it('announcements: claimed once until stale, counted, released on failure, never after the post', async () => {
    const a = await adoptOne();
    const run = await failedRun(a.id);
    const now = new Date('2026-11-30T09:10:00Z');
    const stale = new Date('2026-11-30T09:05:00Z');
    expect(await repos.checks.claimAnnouncement({ ...run, teamId: 'T2' }, now, stale)).toBeUndefined();
    expect(await repos.checks.claimAnnouncement(run, now, stale)).toEqual({ attempts: 0 });
    expect(await repos.checks.claimAnnouncement(run, now, stale)).toBeUndefined();
    // A claim older than the stale mark is claimable again (its process died); the try is counted.
    const later = new Date('2026-11-30T09:20:00Z');
    expect(await repos.checks.claimAnnouncement(run, later, new Date('2026-11-30T09:15:00Z'))).toEqual({
      attempts: 1,
    });
    await repos.checks.releaseAnnouncement(run);
    expect(await repos.checks.claimAnnouncement(run, later, stale)).toEqual({ attempts: 2 });
    // Tried twice already: sorted after runs never tried.
    const b = await adoptOne('b');
    const other = await failedRun(b.id);
    expect((await repos.checks.unannounced(10)).map((r) => r.checkId)).toEqual([b.id, a.id]);
    await repos.checks.markAnnounced(run, '1.1');
    await repos.checks.releaseAnnouncement(run);
    expect(
      await repos.checks.claimAnnouncement(
        run,
        new Date('2026-12-30T00:00:00Z'),
        new Date('2026-12-30T00:00:00Z'),
      ),
    ).toBeUndefined();
    expect(await repos.checks.unannounced(10)).toEqual([{ ...other, action: 'failure', observed: '3 rows' }]);
  });

  it('concurrent: one instance claims the post; the others leave it', async () => {
    const a = await adoptOne();
    const run = await failedRun(a.id);
    const now = new Date('2026-11-30T09:10:00Z');
    await repos.openConnections();
    const claims = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() =>
        repos.checks.claimAnnouncement(run, now, new Date('2026-11-30T09:05:00Z')),
      ),
    );
    expect(claims.filter((claim) => claim !== undefined)).toEqual([{ attempts: 0 }]);
  });

  it('acknowledge and false positive: recorded once, also when pressed at once', async () => {
    const a = await adoptOne();
    const run = await failedRun(a.id);
    await repos.openConnections();
    const acks = await Promise.all(
      ['U1', 'U2', 'U3', 'U4'].map((user) => repos.checks.acknowledge(run, user)),
    );
    expect(acks.filter(Boolean)).toHaveLength(1);
    expect((await repos.checks.run(run))?.acknowledgedBy).toBe(['U1', 'U2', 'U3', 'U4'][acks.indexOf(true)]);
    expect(await repos.checks.acknowledge({ ...run, teamId: 'T2' }, 'U9')).toBe(false);
    await repos.openConnections();
    const marks = await Promise.all([1, 2, 3, 4].map(() => repos.checks.markFalsePositive(run)));
    expect(marks.filter(Boolean)).toHaveLength(1);
    expect((await repos.checks.run(run))?.falsePositive).toBe(true);
    // Only a failure is a false positive.
    const passed = new Date('2026-11-30T10:00:00Z');
    await repos.checks.claimRun(ref(a.id, passed), passed, STALE);
    const passedRun = { teamId: 'T1', checkId: a.id, slotAt: passed };
    await repos.checks.finishRun(
      passedRun,
      { result: { kind: 'passed', observed: '0 rows' }, alert: a.alert, action: 'none' },
      passed,
      passed,
    );
    expect(await repos.checks.markFalsePositive(passedRun)).toBe(false);
  });

  it('QA pings: counted per channel since a moment; a budget claimed at once is never overdrawn', async () => {
    const at = new Date('2026-11-30T09:00:00Z');
    const dayAgo = new Date(at.getTime() - 86_400_000);
    await repos.claimPing('T1', 'C1', new Date(dayAgo.getTime() - 1), new Date(0), 1_000);
    await repos.claimPing('T1', 'C1', at, new Date(0), 1_000);
    await repos.claimPing('T1', 'C2', at, new Date(0), 1_000);
    await repos.claimPing('T2', 'C1', at, new Date(0), 1_000);
    expect(await repos.checks.pingsSince('T1', 'C1', dayAgo)).toBe(1);
    expect(await repos.checks.pingsSince('T1', 'C1', new Date(0))).toBe(2);
    await repos.openConnections();
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => repos.claimPing('T1', 'C1', at, dayAgo, 3)),
    );
    // Room for two more, claimed by more callers than the pool has connections.
    expect(claims.filter(Boolean)).toHaveLength(2);
    expect(await repos.checks.pingsSince('T1', 'C1', dayAgo)).toBe(3);
    expect(await repos.claimPing('T1', 'C2', at, dayAgo, 3)).toBe(true);
  });

  it('pauses, resumes from a new moment, lists only active due checks, snoozes, and deletes with the runs', async () => {
    const [a, b] = (await adoptIn('T1', 'C1', ['a', 'b'])).adopted;
    if (!a || !b) throw new Error('not adopted');
    await repos.checks.setState('T1', a.id, 'paused');
    expect((await repos.checks.dueChecks(new Date('2026-12-31T00:00:00Z'), 10)).map((c) => c.name)).toEqual([
      'b',
    ]);
    expect(await repos.checks.dueChecks(new Date('2026-11-30T08:59:00Z'), 10)).toEqual([]);
    const resumed = new Date('2026-11-30T15:00:00Z');
    await repos.checks.setState('T1', a.id, 'active', {
      at: resumed,
      nextSlotAt: new Date('2026-11-30T16:00:00Z'),
    });
    expect(await repos.checks.check('T1', a.id)).toMatchObject({
      state: 'active',
      lastSlotAt: resumed,
      nextSlotAt: new Date('2026-11-30T16:00:00Z'),
    });
    expect((await repos.checks.dueChecks(new Date('2026-12-31T00:00:00Z'), 10)).map((c) => c.name)).toEqual([
      'b',
      'a',
    ]);
    expect((await repos.checks.dueChecks(new Date('2026-12-31T00:00:00Z'), 1)).map((c) => c.name)).toEqual([
      'b',
    ]);
    await repos.checks.setState('T1', a.id, 'active', { at: resumed, nextSlotAt: undefined });
    expect((await repos.checks.check('T1', a.id))?.nextSlotAt).toBeUndefined();
    const until = new Date('2026-12-01T09:00:00Z');
    await repos.checks.snooze('T1', b.id, until);
    await repos.checks.snooze('T2', a.id, until);
    expect((await repos.checks.check('T1', b.id))?.snoozedUntil).toEqual(until);
    expect((await repos.checks.check('T1', a.id))?.snoozedUntil).toBeUndefined();
    await repos.checks.claimRun(ref(b.id, resumed), resumed, resumed);
    await repos.checks.remove('T2', b.id);
    expect(await repos.checks.check('T1', b.id)).toBeDefined();
    await repos.checks.remove('T1', b.id);
    expect(await repos.checks.check('T1', b.id)).toBeUndefined();
    expect(await repos.count('check_runs')).toBe(0);
  });

  it('a person’s checks: failing first, then by name, limited, per team', async () => {
    const [a, b, c] = (await adoptIn('T1', 'C1', ['a', 'B', 'c'])).adopted;
    if (!a || !b || !c) throw new Error('not adopted');
    await adoptIn('T1', 'C2', ['z'], 'U2');
    await failedRun(c.id);
    expect((await repos.checks.adoptedBy('T1', 'U1', 10)).map((x) => x.name)).toEqual(['c', 'B', 'a']);
    expect((await repos.checks.adoptedBy('T1', 'U1', 2)).map((x) => x.name)).toEqual(['c', 'B']);
    expect(await repos.checks.adoptedBy('T2', 'U1', 10)).toEqual([]);
  });
});
