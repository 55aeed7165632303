import type Database from 'better-sqlite3';
import type { AlertAction, AlertState } from '../core/quality-monitor/alert-policy.js';
import type { CheckDefinition, Expectation, Severity } from '../core/quality-monitor/check-definition.js';
import type { CheckSchedule } from '../core/quality-monitor/check-schedule.js';
import type {
  AdoptedCheck,
  CheckRun,
  ClaimRef,
  ProposedCheck,
  QualityCheckStore,
  RunRef,
  RunResult,
} from '../core/quality-monitor/check-store.js';

interface CheckRow {
  id: number;
  teamId: string;
  channelId: string;
  taskId: number;
  threadTs: string;
  name: string;
  sql: string;
  expectation: string;
  severity: Severity;
  sourceName: string;
  schedule: string;
  timeZone: string;
  adoptedBy: string;
  state: AdoptedCheck['state'];
  lastSlotAt: number;
  nextSlotAt: number | null;
  alert: string;
  snoozedUntil: number | null;
}

const CHECK_COLUMNS = `id, team_id as teamId, channel_id as channelId, task_id as taskId, thread_ts as threadTs,
  name, sql, expectation, severity, source_name as sourceName, schedule, time_zone as timeZone,
  adopted_by as adoptedBy, state, last_slot_at as lastSlotAt, next_slot_at as nextSlotAt, alert,
  snoozed_until as snoozedUntil`;

function toCheck(row: CheckRow): AdoptedCheck {
  const { snoozedUntil, nextSlotAt, ...rest } = row;
  return {
    ...rest,
    ...(nextSlotAt === null ? {} : { nextSlotAt: new Date(nextSlotAt) }),
    expectation: JSON.parse(row.expectation) as Expectation,
    schedule: JSON.parse(row.schedule) as CheckSchedule,
    lastSlotAt: new Date(row.lastSlotAt),
    alert: JSON.parse(row.alert) as AlertState,
    ...(snoozedUntil === null ? {} : { snoozedUntil: new Date(snoozedUntil) }),
  };
}

/** Proposed checks, adopted checks and their runs; every statement scoped by team. */
export class SqliteQualityCheckStore implements QualityCheckStore {
  private readonly statements;

  constructor(private readonly sqlite: Database.Database) {
    const s = (text: string) => sqlite.prepare(text);
    this.statements = {
      propose: s(`insert into proposed_checks
          (team_id, task_id, name, sql, expectation, severity, sandbox_observed, sandbox_passed)
        values (@teamId, @taskId, @name, @sql, @expectation, @severity, @sandboxObserved, @sandboxPassed)
        on conflict (team_id, task_id, name) do update set sql = excluded.sql, expectation = excluded.expectation,
          severity = excluded.severity, sandbox_observed = excluded.sandbox_observed,
          sandbox_passed = excluded.sandbox_passed, offered_turn_id = null`),
      offer: s(`update proposed_checks set offered_turn_id = @turnId
        where team_id = @teamId and task_id = @taskId and offered_turn_id is null`),
      offered: s(`select team_id as teamId, task_id as taskId, name, sql, expectation, severity,
          sandbox_observed as sandboxObserved, sandbox_passed as sandboxPassed
        from proposed_checks where team_id = @teamId and task_id = @taskId and offered_turn_id = @turnId
        order by created_at, name`),
      proposals: s(`select team_id as teamId, task_id as taskId, name, sql, expectation, severity,
          sandbox_observed as sandboxObserved, sandbox_passed as sandboxPassed
        from proposed_checks where team_id = ? and task_id = ? order by created_at, name`),
      adopt:
        s(`insert into quality_checks (team_id, channel_id, task_id, thread_ts, name, sql, expectation, severity,
          source_name, schedule, time_zone, adopted_by, adopted_at, last_slot_at, next_slot_at, alert)
        values (@teamId, @channelId, @taskId, @threadTs, @name, @sql, @expectation, @severity, @sourceName,
          @schedule, @timeZone, @adoptedBy, @adoptedAt, @adoptedAt, @nextSlotAt, @alert)
        on conflict (team_id, channel_id, name) do nothing`),
      check: s(`select ${CHECK_COLUMNS} from quality_checks where team_id = ? and id = ?`),
      checksIn: s(
        `select ${CHECK_COLUMNS} from quality_checks where team_id = ? and channel_id = ? order by name`,
      ),
      adoptedBy: s(`select ${CHECK_COLUMNS} from quality_checks where team_id = ? and adopted_by = ?
        order by json_extract(alert, '$.status') = 'failing' desc, name limit ?`),
      byName: s(
        `select ${CHECK_COLUMNS} from quality_checks where team_id = ? and channel_id = ? and name = ?`,
      ),
      setState:
        s(`update quality_checks set state = @state, last_slot_at = coalesce(@resumedAt, last_slot_at),
          next_slot_at = case when @resumedAt is null then next_slot_at else @nextSlotAt end
        where team_id = @teamId and id = @checkId`),
      counts: s(`select count(*) as team, coalesce(sum(channel_id = @channelId), 0) as channel
        from quality_checks where team_id = @teamId`),
      remove: s('delete from quality_checks where team_id = ? and id = ?'),
      due: s(`select ${CHECK_COLUMNS} from quality_checks
        where state = 'active' and next_slot_at <= ? order by next_slot_at limit ?`),
      claim: s(`insert into check_runs (team_id, check_id, slot_at, started_at)
        select team_id, id, @slotAt, @startedAt from quality_checks where team_id = @teamId and id = @checkId
        on conflict (check_id, slot_at) do update set started_at = excluded.started_at
          where check_runs.result is null and check_runs.started_at < @staleBefore`),
      running: s(`select 1 from check_runs where team_id = @teamId and check_id = @checkId and result is null
        and started_at >= @staleBefore limit 1`),
      abandoned: s(`select team_id as teamId, check_id as checkId, slot_at as slotAt from check_runs
        where result is null and started_at < ? order by started_at limit ?`),
      unannounced: s(`select team_id as teamId, check_id as checkId, slot_at as slotAt, action, observed
        from check_runs where result is not null and action in ('failure', 'recovery', 'flapping')
          and announced_ts is null order by announce_attempts, finished_at limit ?`),
      claimAnnouncement:
        s(`update check_runs set announce_claimed_at = @now, announce_attempts = announce_attempts + 1
        where team_id = @teamId and check_id = @checkId and slot_at = @slotAt and announced_ts is null
          and (announce_claimed_at is null or announce_claimed_at < @staleBefore)
        returning announce_attempts - 1 as attempts`),
      start: s(`update check_runs set started_at = @now
        where team_id = @teamId and check_id = @checkId and slot_at = @slotAt and result is null
          and started_at = @claimedAt`),
      release: s(`update check_runs set announce_claimed_at = null
        where team_id = @teamId and check_id = @checkId and slot_at = @slotAt and announced_ts is null`),
      recordPing: s('insert into check_pings (team_id, channel_id, pinged_at) values (?, ?, ?)'),
      pingsSince: s(
        'select count(*) as n from check_pings where team_id = ? and channel_id = ? and pinged_at >= ?',
      ),
      announced: s(`update check_runs set announced_ts = @ts
        where team_id = @teamId and check_id = @checkId and slot_at = @slotAt`),
      moveSlot: s(`update quality_checks set last_slot_at = @slotAt, next_slot_at = @nextSlotAt
        where team_id = @teamId and id = @checkId and last_slot_at <= @slotAt`),
      finish: s(`update check_runs set result = @result, observed = @observed, action = @action,
          finished_at = @finishedAt
        where team_id = @teamId and check_id = @checkId and slot_at = @slotAt and result is null
          and started_at = @startedAt`),
      alert: s('update quality_checks set alert = @alert where team_id = @teamId and id = @checkId'),
      runs: s(
        `select ${RUN_COLUMNS} from check_runs where team_id = ? and check_id = ? and slot_at >= ? order by slot_at`,
      ),
      run: s(`select ${RUN_COLUMNS} from check_runs where team_id = ? and check_id = ? and slot_at = ?`),
      acknowledge: s(`update check_runs set acknowledged_by = @userId
        where team_id = @teamId and check_id = @checkId and slot_at = @slotAt and acknowledged_by is null`),
      falsePositive: s(`update check_runs set false_positive = 1
        where team_id = @teamId and check_id = @checkId and slot_at = @slotAt and result = 'failed' and false_positive = 0`),
      snooze: s('update quality_checks set snoozed_until = @until where team_id = @teamId and id = @checkId'),
    };
  }

  async propose(check: ProposedCheck): Promise<void> {
    this.statements.propose.run({
      ...check,
      expectation: JSON.stringify(check.expectation),
      sandboxPassed: check.sandboxPassed ? 1 : 0,
    });
  }

  async proposals(teamId: string, taskId: number): Promise<ProposedCheck[]> {
    return toProposals(this.statements.proposals.all(teamId, taskId));
  }

  async offer(teamId: string, taskId: number, turnId: number): Promise<ProposedCheck[]> {
    const key = { teamId, taskId, turnId };
    return this.sqlite
      .transaction(() => {
        this.statements.offer.run(key);
        return toProposals(this.statements.offered.all(key));
      })
      .immediate();
  }

  async adopt(adoption: Parameters<QualityCheckStore['adopt']>[0]): ReturnType<QualityCheckStore['adopt']> {
    const { checks, adoptedAt, schedule, nextSlotAt, limits, ...where } = adoption;
    return this.sqlite
      .transaction(() => {
        const counts = this.statements.counts.get(where) as { team: number; channel: number };
        if (counts.channel + checks.length > limits.perChannel) return { full: 'channel' as const };
        if (counts.team + checks.length > limits.perTeam) return { full: 'team' as const };
        const adopted: AdoptedCheck[] = [];
        const taken: string[] = [];
        for (const check of checks) {
          const inserted = this.statements.adopt.run({
            ...where,
            ...checkColumns(check),
            schedule: JSON.stringify(schedule),
            adoptedAt: adoptedAt.getTime(),
            nextSlotAt: nextSlotAt?.getTime() ?? null,
            alert: JSON.stringify({ status: 'unknown', changes: [], flapping: false } satisfies AlertState),
          });
          const row = this.findByName(where.teamId, where.channelId, check.name);
          if (inserted.changes === 1 && row) adopted.push(row);
          else taken.push(check.name);
        }
        return { adopted, taken };
      })
      .immediate();
  }

  async offeredBy(teamId: string, taskId: number, turnId: number): Promise<ProposedCheck[]> {
    return toProposals(this.statements.offered.all({ teamId, taskId, turnId }));
  }

  async check(teamId: string, checkId: number): Promise<AdoptedCheck | undefined> {
    const row = this.statements.check.get(teamId, checkId) as CheckRow | undefined;
    return row && toCheck(row);
  }

  async checksIn(teamId: string, channelId: string): Promise<AdoptedCheck[]> {
    return (this.statements.checksIn.all(teamId, channelId) as CheckRow[]).map(toCheck);
  }

  async adoptedBy(teamId: string, userId: string, limit: number): Promise<AdoptedCheck[]> {
    return (this.statements.adoptedBy.all(teamId, userId, limit) as CheckRow[]).map(toCheck);
  }

  async byName(teamId: string, channelId: string, name: string): Promise<AdoptedCheck | undefined> {
    return this.findByName(teamId, channelId, name);
  }

  /** byName without the promise, for use inside a transaction (never await inside one). */
  private findByName(teamId: string, channelId: string, name: string): AdoptedCheck | undefined {
    const row = this.statements.byName.get(teamId, channelId, name) as CheckRow | undefined;
    return row && toCheck(row);
  }

  async setState(
    teamId: string,
    checkId: number,
    state: AdoptedCheck['state'],
    resumed?: { at: Date; nextSlotAt: Date | undefined },
  ): Promise<void> {
    this.statements.setState.run({
      teamId,
      checkId,
      state,
      resumedAt: resumed?.at.getTime() ?? null,
      nextSlotAt: resumed?.nextSlotAt?.getTime() ?? null,
    });
  }

  async remove(teamId: string, checkId: number): Promise<void> {
    this.statements.remove.run(teamId, checkId);
  }

  async dueChecks(now: Date, limit: number): Promise<AdoptedCheck[]> {
    return (this.statements.due.all(now.getTime(), limit) as CheckRow[]).map(toCheck);
  }

  async claimRun(run: ClaimRef, startedAt: Date, staleBefore: Date): Promise<boolean> {
    return this.sqlite.transaction(() => this.claimOne(run, startedAt, staleBefore)).immediate();
  }

  private claimOne(run: ClaimRef, startedAt: Date, staleBefore: Date): boolean {
    const key = runKey(run);
    const claim = { ...key, startedAt: startedAt.getTime(), staleBefore: staleBefore.getTime() };
    const claimed = this.statements.claim.run(claim).changes === 1;
    if (claimed) this.statements.moveSlot.run({ ...key, nextSlotAt: run.nextSlotAt?.getTime() ?? null });
    return claimed;
  }

  async claimRuns(runs: ClaimRef[], startedAt: Date, staleBefore: Date): Promise<ClaimRef[]> {
    return this.sqlite
      .transaction(() => runs.filter((run) => this.claimOne(run, startedAt, staleBefore)))
      .immediate();
  }

  async startRun(run: RunRef, claimedAt: Date, now: Date): Promise<boolean> {
    return (
      this.statements.start.run({ ...runKey(run), claimedAt: claimedAt.getTime(), now: now.getTime() })
        .changes === 1
    );
  }

  async isRunning(teamId: string, checkId: number, staleBefore: Date): Promise<boolean> {
    return this.statements.running.get({ teamId, checkId, staleBefore: staleBefore.getTime() }) !== undefined;
  }

  async abandonedRuns(staleBefore: Date, limit: number): Promise<RunRef[]> {
    const rows = this.statements.abandoned.all(staleBefore.getTime(), limit) as (Omit<RunRef, 'slotAt'> & {
      slotAt: number;
    })[];
    return rows.map((row) => ({ ...row, slotAt: new Date(row.slotAt) }));
  }

  async finishRun(
    run: RunRef,
    outcome: { result: RunResult; alert: AlertState; action: AlertAction },
    finishedAt: Date,
    startedAt: Date,
  ): Promise<boolean> {
    const key = { teamId: run.teamId, checkId: run.checkId };
    return this.sqlite
      .transaction(() => {
        const finished = this.statements.finish.run({
          ...key,
          slotAt: run.slotAt.getTime(),
          startedAt: startedAt.getTime(),
          result: outcome.result.kind,
          observed: outcome.result.observed,
          action: outcome.action,
          finishedAt: finishedAt.getTime(),
        });
        if (finished.changes !== 1) return false;
        this.statements.alert.run({ ...key, alert: JSON.stringify(outcome.alert) });
        return true;
      })
      .immediate();
  }

  async unannounced(
    limit: number,
  ): Promise<(RunRef & { action: Exclude<AlertAction, 'none'>; observed: string })[]> {
    const rows = this.statements.unannounced.all(limit) as (Omit<RunRef, 'slotAt'> & {
      slotAt: number;
      action: Exclude<AlertAction, 'none'>;
      observed: string;
    })[];
    return rows.map((row) => ({ ...row, slotAt: new Date(row.slotAt) }));
  }

  async claimAnnouncement(
    run: RunRef,
    now: Date,
    staleBefore: Date,
  ): Promise<{ attempts: number } | undefined> {
    const row = this.statements.claimAnnouncement.get({
      ...runKey(run),
      now: now.getTime(),
      staleBefore: staleBefore.getTime(),
    }) as { attempts: number } | undefined;
    return row;
  }

  async releaseAnnouncement(run: RunRef): Promise<void> {
    this.statements.release.run(runKey(run));
  }

  async claimPing(teamId: string, channelId: string, at: Date, since: Date, max: number): Promise<boolean> {
    return this.sqlite
      .transaction(() => {
        if (this.countPings(teamId, channelId, since) >= max) return false;
        this.statements.recordPing.run(teamId, channelId, at.getTime());
        return true;
      })
      .immediate();
  }

  async pingsSince(teamId: string, channelId: string, since: Date): Promise<number> {
    return this.countPings(teamId, channelId, since);
  }

  private countPings(teamId: string, channelId: string, since: Date): number {
    return (this.statements.pingsSince.get(teamId, channelId, since.getTime()) as { n: number }).n;
  }

  async markAnnounced(run: RunRef, ts: string): Promise<void> {
    this.statements.announced.run({
      teamId: run.teamId,
      checkId: run.checkId,
      slotAt: run.slotAt.getTime(),
      ts,
    });
  }

  async runs(teamId: string, checkId: number, since: Date): Promise<CheckRun[]> {
    return (this.statements.runs.all(teamId, checkId, since.getTime()) as RunRow[]).map(toRun);
  }

  async run(run: RunRef): Promise<CheckRun | undefined> {
    const row = this.statements.run.get(run.teamId, run.checkId, run.slotAt.getTime()) as RunRow | undefined;
    return row && toRun(row);
  }

  async acknowledge(run: RunRef, userId: string): Promise<boolean> {
    return this.statements.acknowledge.run({ ...runKey(run), userId }).changes === 1;
  }

  async markFalsePositive(run: RunRef): Promise<boolean> {
    return this.statements.falsePositive.run(runKey(run)).changes === 1;
  }

  async snooze(teamId: string, checkId: number, until: Date): Promise<void> {
    this.statements.snooze.run({ teamId, checkId, until: until.getTime() });
  }
}

const RUN_COLUMNS = `check_id as checkId, slot_at as slotAt, result, observed, started_at as startedAt,
  finished_at as finishedAt, action, announced_ts as announcedTs, acknowledged_by as acknowledgedBy,
  false_positive as falsePositive`;

interface RunRow {
  checkId: number;
  slotAt: number;
  result: RunResult['kind'] | null;
  observed: string | null;
  startedAt: number;
  finishedAt: number | null;
  action: AlertAction | null;
  announcedTs: string | null;
  acknowledgedBy: string | null;
  falsePositive: number;
}

function toRun(row: RunRow): CheckRun {
  return {
    checkId: row.checkId,
    slotAt: new Date(row.slotAt),
    result:
      row.result === null ? undefined : ({ kind: row.result, observed: row.observed ?? '' } as RunResult),
    startedAt: new Date(row.startedAt),
    ...(row.finishedAt === null ? {} : { finishedAt: new Date(row.finishedAt) }),
    ...(row.action === null ? {} : { action: row.action }),
    ...(row.announcedTs === null ? {} : { announcedTs: row.announcedTs }),
    ...(row.acknowledgedBy === null ? {} : { acknowledgedBy: row.acknowledgedBy }),
    falsePositive: row.falsePositive === 1,
  };
}

function runKey(run: RunRef) {
  return { teamId: run.teamId, checkId: run.checkId, slotAt: run.slotAt.getTime() };
}

function toProposals(rows: unknown[]): ProposedCheck[] {
  return (
    rows as (Omit<ProposedCheck, 'expectation' | 'sandboxPassed'> & {
      expectation: string;
      sandboxPassed: number;
    })[]
  ).map((row) => ({
    ...row,
    expectation: JSON.parse(row.expectation) as Expectation,
    sandboxPassed: row.sandboxPassed === 1,
  }));
}

function checkColumns(check: CheckDefinition) {
  return {
    name: check.name,
    sql: check.sql,
    expectation: JSON.stringify(check.expectation),
    severity: check.severity,
  };
}
