import type Database from 'better-sqlite3';
import type { AlertAction, AlertState } from '../core/quality-monitor/alert-policy.js';
import type { CheckDefinition, Expectation, Severity } from '../core/quality-monitor/check-definition.js';
import type { CheckSchedule } from '../core/quality-monitor/check-schedule.js';
import type {
  AdoptedCheck,
  CheckRun,
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
  alert: string;
  snoozedUntil: number | null;
}

const CHECK_COLUMNS = `id, team_id as teamId, channel_id as channelId, task_id as taskId, thread_ts as threadTs,
  name, sql, expectation, severity, source_name as sourceName, schedule, time_zone as timeZone,
  adopted_by as adoptedBy, state, last_slot_at as lastSlotAt, alert, snoozed_until as snoozedUntil`;

function toCheck(row: CheckRow): AdoptedCheck {
  const { snoozedUntil, ...rest } = row;
  return {
    ...rest,
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
          source_name, schedule, time_zone, adopted_by, adopted_at, last_slot_at, alert)
        values (@teamId, @channelId, @taskId, @threadTs, @name, @sql, @expectation, @severity, @sourceName,
          @schedule, @timeZone, @adoptedBy, @adoptedAt, @adoptedAt, @alert)
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
      setState: s(`update quality_checks set state = @state, last_slot_at = coalesce(@resumedAt, last_slot_at)
        where team_id = @teamId and id = @checkId`),
      remove: s('delete from quality_checks where team_id = ? and id = ?'),
      active: s(
        `select ${CHECK_COLUMNS} from quality_checks where state = 'active' order by last_slot_at limit ?`,
      ),
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
          and announced_ts is null order by finished_at limit ?`),
      announced: s(`update check_runs set announced_ts = @ts
        where team_id = @teamId and check_id = @checkId and slot_at = @slotAt`),
      moveSlot: s(`update quality_checks set last_slot_at = max(last_slot_at, @slotAt)
        where team_id = @teamId and id = @checkId`),
      finish: s(`update check_runs set result = @result, observed = @observed, action = @action,
          finished_at = @finishedAt
        where team_id = @teamId and check_id = @checkId and slot_at = @slotAt`),
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

  propose(check: ProposedCheck): void {
    this.statements.propose.run({
      ...check,
      expectation: JSON.stringify(check.expectation),
      sandboxPassed: check.sandboxPassed ? 1 : 0,
    });
  }

  proposals(teamId: string, taskId: number): ProposedCheck[] {
    return toProposals(this.statements.proposals.all(teamId, taskId));
  }

  offer(teamId: string, taskId: number, turnId: number): ProposedCheck[] {
    const key = { teamId, taskId, turnId };
    return this.sqlite
      .transaction(() => {
        this.statements.offer.run(key);
        return toProposals(this.statements.offered.all(key));
      })
      .immediate();
  }

  adopt(adoption: Parameters<QualityCheckStore['adopt']>[0]): { adopted: AdoptedCheck[]; taken: string[] } {
    const { checks, adoptedAt, schedule, ...where } = adoption;
    return this.sqlite
      .transaction(() => {
        const adopted: AdoptedCheck[] = [];
        const taken: string[] = [];
        for (const check of checks) {
          const inserted = this.statements.adopt.run({
            ...where,
            ...checkColumns(check),
            schedule: JSON.stringify(schedule),
            adoptedAt: adoptedAt.getTime(),
            alert: JSON.stringify({ status: 'unknown', changes: [], flapping: false } satisfies AlertState),
          });
          const row = this.byName(where.teamId, where.channelId, check.name);
          if (inserted.changes === 1 && row) adopted.push(row);
          else taken.push(check.name);
        }
        return { adopted, taken };
      })
      .immediate();
  }

  offeredBy(teamId: string, taskId: number, turnId: number): ProposedCheck[] {
    return toProposals(this.statements.offered.all({ teamId, taskId, turnId }));
  }

  check(teamId: string, checkId: number): AdoptedCheck | undefined {
    const row = this.statements.check.get(teamId, checkId) as CheckRow | undefined;
    return row && toCheck(row);
  }

  checksIn(teamId: string, channelId: string): AdoptedCheck[] {
    return (this.statements.checksIn.all(teamId, channelId) as CheckRow[]).map(toCheck);
  }

  adoptedBy(teamId: string, userId: string, limit: number): AdoptedCheck[] {
    return (this.statements.adoptedBy.all(teamId, userId, limit) as CheckRow[]).map(toCheck);
  }

  byName(teamId: string, channelId: string, name: string): AdoptedCheck | undefined {
    const row = this.statements.byName.get(teamId, channelId, name) as CheckRow | undefined;
    return row && toCheck(row);
  }

  setState(teamId: string, checkId: number, state: AdoptedCheck['state'], resumedAt?: Date): void {
    this.statements.setState.run({ teamId, checkId, state, resumedAt: resumedAt?.getTime() ?? null });
  }

  remove(teamId: string, checkId: number): void {
    this.statements.remove.run(teamId, checkId);
  }

  activeChecks(limit: number): AdoptedCheck[] {
    return (this.statements.active.all(limit) as CheckRow[]).map(toCheck);
  }

  claimRun(teamId: string, checkId: number, slotAt: Date, startedAt: Date, staleBefore: Date): boolean {
    const key = { teamId, checkId, slotAt: slotAt.getTime() };
    return this.sqlite
      .transaction(() => {
        const claim = { ...key, startedAt: startedAt.getTime(), staleBefore: staleBefore.getTime() };
        const claimed = this.statements.claim.run(claim).changes === 1;
        if (claimed) this.statements.moveSlot.run(key);
        return claimed;
      })
      .immediate();
  }

  isRunning(teamId: string, checkId: number, staleBefore: Date): boolean {
    return this.statements.running.get({ teamId, checkId, staleBefore: staleBefore.getTime() }) !== undefined;
  }

  abandonedRuns(staleBefore: Date, limit: number): RunRef[] {
    const rows = this.statements.abandoned.all(staleBefore.getTime(), limit) as (Omit<RunRef, 'slotAt'> & {
      slotAt: number;
    })[];
    return rows.map((row) => ({ ...row, slotAt: new Date(row.slotAt) }));
  }

  finishRun(
    run: RunRef,
    outcome: { result: RunResult; alert: AlertState; action: AlertAction },
    finishedAt: Date,
  ): void {
    const key = { teamId: run.teamId, checkId: run.checkId };
    this.sqlite
      .transaction(() => {
        this.statements.finish.run({
          ...key,
          slotAt: run.slotAt.getTime(),
          result: outcome.result.kind,
          observed: outcome.result.observed,
          action: outcome.action,
          finishedAt: finishedAt.getTime(),
        });
        this.statements.alert.run({ ...key, alert: JSON.stringify(outcome.alert) });
      })
      .immediate();
  }

  unannounced(limit: number): (RunRef & { action: Exclude<AlertAction, 'none'>; observed: string })[] {
    const rows = this.statements.unannounced.all(limit) as (Omit<RunRef, 'slotAt'> & {
      slotAt: number;
      action: Exclude<AlertAction, 'none'>;
      observed: string;
    })[];
    return rows.map((row) => ({ ...row, slotAt: new Date(row.slotAt) }));
  }

  markAnnounced(run: RunRef, ts: string): void {
    this.statements.announced.run({
      teamId: run.teamId,
      checkId: run.checkId,
      slotAt: run.slotAt.getTime(),
      ts,
    });
  }

  runs(teamId: string, checkId: number, since: Date): CheckRun[] {
    return (this.statements.runs.all(teamId, checkId, since.getTime()) as RunRow[]).map(toRun);
  }

  run(run: RunRef): CheckRun | undefined {
    const row = this.statements.run.get(run.teamId, run.checkId, run.slotAt.getTime()) as RunRow | undefined;
    return row && toRun(row);
  }

  acknowledge(run: RunRef, userId: string): boolean {
    return this.statements.acknowledge.run({ ...runKey(run), userId }).changes === 1;
  }

  markFalsePositive(run: RunRef): boolean {
    return this.statements.falsePositive.run(runKey(run)).changes === 1;
  }

  snooze(teamId: string, checkId: number, until: Date): void {
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
