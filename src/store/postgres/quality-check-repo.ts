import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { AlertAction, AlertState } from '../../core/quality-monitor/alert-policy.js';
import type { CheckDefinition, Expectation } from '../../core/quality-monitor/check-definition.js';
import type { CheckSchedule } from '../../core/quality-monitor/check-schedule.js';
import type {
  AdoptedCheck,
  CheckRun,
  ClaimRef,
  ProposedCheck,
  QualityCheckStore,
  RunRef,
  RunResult,
} from '../../core/quality-monitor/check-store.js';
import type { PgDb } from './db.js';
import { lockForTransaction, type PgTx } from './locks.js';
import { checkPings, checkRuns, proposedChecks, qualityChecks } from './schema.js';

type CheckRow = typeof qualityChecks.$inferSelect;
type RunRow = typeof checkRuns.$inferSelect;
type ProposalRow = typeof proposedChecks.$inferSelect;

/**
 * Proposed checks, adopted checks, their runs and QA pings on PostgreSQL (see ../quality-check-repo.ts),
 * every statement scoped by team. Several instances run the checks at once, so every claim is one
 * statement the row lock serialises (a conditional `update … returning`, or `insert … on conflict …
 * returning` on the run's key), and the caps are counted under a transaction lock on the team.
 */
export class PostgresQualityCheckStore implements QualityCheckStore {
  constructor(private readonly db: PgDb) {}

  async propose(check: ProposedCheck): Promise<void> {
    const replaced = {
      sql: check.sql,
      expectation: check.expectation,
      severity: check.severity,
      sandboxObserved: check.sandboxObserved,
      sandboxPassed: check.sandboxPassed,
    };
    await this.db
      .insert(proposedChecks)
      .values({ teamId: check.teamId, taskId: check.taskId, name: check.name, ...replaced })
      .onConflictDoUpdate({
        target: [proposedChecks.teamId, proposedChecks.taskId, proposedChecks.name],
        set: { ...replaced, offeredTurnId: null },
      });
  }

  async proposals(teamId: string, taskId: number): Promise<ProposedCheck[]> {
    const rows = await this.db
      .select()
      .from(proposedChecks)
      .where(and(eq(proposedChecks.teamId, teamId), eq(proposedChecks.taskId, taskId)))
      .orderBy(...PROPOSAL_ORDER);
    return rows.map(toProposal);
  }

  /** A second offer of the same answer at once waits on the rows' locks, then finds them offered. */
  offer(teamId: string, taskId: number, turnId: number): Promise<ProposedCheck[]> {
    return this.db.transaction(async (tx) => {
      await tx
        .update(proposedChecks)
        .set({ offeredTurnId: turnId })
        .where(
          and(
            eq(proposedChecks.teamId, teamId),
            eq(proposedChecks.taskId, taskId),
            isNull(proposedChecks.offeredTurnId),
          ),
        );
      return offeredIn(tx, teamId, taskId, turnId);
    });
  }

  offeredBy(teamId: string, taskId: number, turnId: number): Promise<ProposedCheck[]> {
    return offeredIn(this.db, teamId, taskId, turnId);
  }

  /**
   * The caps are counted and the checks inserted under a lock on the team: two adoptions at once (two
   * instances) cannot both pass a cap. A name taken in the channel is left to its first adopter.
   */
  adopt(adoption: Parameters<QualityCheckStore['adopt']>[0]): ReturnType<QualityCheckStore['adopt']> {
    const { checks, adoptedAt, schedule, nextSlotAt, limits, ...where } = adoption;
    return this.db.transaction(async (tx) => {
      await lockForTransaction(tx, `quality-checks:${where.teamId}`);
      const [counts] = await tx
        .select({
          team: sql<number>`count(*)::int`,
          channel: sql<number>`(count(*) filter (where ${qualityChecks.channelId} = ${where.channelId}))::int`,
        })
        .from(qualityChecks)
        .where(eq(qualityChecks.teamId, where.teamId));
      const team = Number(counts?.team ?? 0);
      const channel = Number(counts?.channel ?? 0);
      if (channel + checks.length > limits.perChannel) return { full: 'channel' as const };
      if (team + checks.length > limits.perTeam) return { full: 'team' as const };
      const adopted: AdoptedCheck[] = [];
      const taken: string[] = [];
      for (const check of checks) {
        const [row] = await tx
          .insert(qualityChecks)
          .values({
            ...where,
            ...checkColumns(check),
            schedule,
            adoptedAt: adoptedAt.getTime(),
            lastSlotAt: adoptedAt.getTime(),
            nextSlotAt: nextSlotAt?.getTime() ?? null,
            alert: { status: 'unknown', changes: [], flapping: false } satisfies AlertState,
          })
          .onConflictDoNothing({
            target: [qualityChecks.teamId, qualityChecks.channelId, qualityChecks.name],
          })
          .returning();
        if (row) adopted.push(toCheck(row));
        else taken.push(check.name);
      }
      return { adopted, taken };
    });
  }

  async check(teamId: string, checkId: number): Promise<AdoptedCheck | undefined> {
    const [row] = await this.db
      .select()
      .from(qualityChecks)
      .where(and(eq(qualityChecks.teamId, teamId), eq(qualityChecks.id, checkId)));
    return row && toCheck(row);
  }

  async checksIn(teamId: string, channelId: string): Promise<AdoptedCheck[]> {
    const rows = await this.db
      .select()
      .from(qualityChecks)
      .where(and(eq(qualityChecks.teamId, teamId), eq(qualityChecks.channelId, channelId)))
      .orderBy(byteOrder(qualityChecks.name));
    return rows.map(toCheck);
  }

  async adoptedBy(teamId: string, userId: string, limit: number): Promise<AdoptedCheck[]> {
    const rows = await this.db
      .select()
      .from(qualityChecks)
      .where(and(eq(qualityChecks.teamId, teamId), eq(qualityChecks.adoptedBy, userId)))
      // Failing first; coalesce: PostgreSQL would sort a null (no status) first in a descending order.
      .orderBy(
        sql`coalesce(${qualityChecks.alert}->>'status' = 'failing', false) desc`,
        byteOrder(qualityChecks.name),
      )
      .limit(limit);
    return rows.map(toCheck);
  }

  async byName(teamId: string, channelId: string, name: string): Promise<AdoptedCheck | undefined> {
    const [row] = await this.db
      .select()
      .from(qualityChecks)
      .where(
        and(
          eq(qualityChecks.teamId, teamId),
          eq(qualityChecks.channelId, channelId),
          eq(qualityChecks.name, name),
        ),
      );
    return row && toCheck(row);
  }

  async setState(
    teamId: string,
    checkId: number,
    state: AdoptedCheck['state'],
    resumed?: { at: Date; nextSlotAt: Date | undefined },
  ): Promise<void> {
    await this.db
      .update(qualityChecks)
      .set({
        state,
        ...(resumed
          ? { lastSlotAt: resumed.at.getTime(), nextSlotAt: resumed.nextSlotAt?.getTime() ?? null }
          : {}),
      })
      .where(and(eq(qualityChecks.teamId, teamId), eq(qualityChecks.id, checkId)));
  }

  async remove(teamId: string, checkId: number): Promise<void> {
    await this.db
      .delete(qualityChecks)
      .where(and(eq(qualityChecks.teamId, teamId), eq(qualityChecks.id, checkId)));
  }

  /** Every team's active checks whose slot has come (the runner's scan; each run is then claimed). */
  async dueChecks(now: Date, limit: number): Promise<AdoptedCheck[]> {
    const rows = await this.db
      .select()
      .from(qualityChecks)
      .where(and(eq(qualityChecks.state, 'active'), lte(qualityChecks.nextSlotAt, now.getTime())))
      .orderBy(asc(qualityChecks.nextSlotAt), asc(qualityChecks.id))
      .limit(limit);
    return rows.map(toCheck);
  }

  claimRun(run: ClaimRef, startedAt: Date, staleBefore: Date): Promise<boolean> {
    return this.db.transaction((tx) => claimOne(tx, run, startedAt, staleBefore));
  }

  /**
   * One transaction, the runs claimed in (check, slot) order: two instances claiming overlapping sets
   * take the rows' locks in the same order, so they queue instead of deadlocking.
   */
  claimRuns(runs: ClaimRef[], startedAt: Date, staleBefore: Date): Promise<ClaimRef[]> {
    const ordered = [...runs].sort(
      (a, b) => a.checkId - b.checkId || a.slotAt.getTime() - b.slotAt.getTime(),
    );
    return this.db.transaction(async (tx) => {
      const claimed = new Set<ClaimRef>();
      for (const run of ordered) {
        if (await claimOne(tx, run, startedAt, staleBefore)) claimed.add(run);
      }
      return runs.filter((run) => claimed.has(run));
    });
  }

  async startRun(run: RunRef, claimedAt: Date, now: Date): Promise<boolean> {
    const rows = await this.db
      .update(checkRuns)
      .set({ startedAt: now.getTime() })
      .where(and(runWhere(run), isNull(checkRuns.result), eq(checkRuns.startedAt, claimedAt.getTime())))
      .returning({ checkId: checkRuns.checkId });
    return rows.length === 1;
  }

  async isRunning(teamId: string, checkId: number, staleBefore: Date): Promise<boolean> {
    const rows = await this.db
      .select({ checkId: checkRuns.checkId })
      .from(checkRuns)
      .where(
        and(
          eq(checkRuns.teamId, teamId),
          eq(checkRuns.checkId, checkId),
          isNull(checkRuns.result),
          gte(checkRuns.startedAt, staleBefore.getTime()),
        ),
      )
      .limit(1);
    return rows.length > 0;
  }

  async abandonedRuns(staleBefore: Date, limit: number): Promise<RunRef[]> {
    const rows = await this.db
      .select({ teamId: checkRuns.teamId, checkId: checkRuns.checkId, slotAt: checkRuns.slotAt })
      .from(checkRuns)
      .where(and(isNull(checkRuns.result), lt(checkRuns.startedAt, staleBefore.getTime())))
      .orderBy(asc(checkRuns.startedAt))
      .limit(limit);
    return rows.map((row) => ({ ...row, slotAt: new Date(row.slotAt) }));
  }

  /** The result only when the run is still this process's: a second finisher re-checks after the lock. */
  finishRun(
    run: RunRef,
    outcome: { result: RunResult; alert: AlertState; action: AlertAction },
    finishedAt: Date,
    startedAt: Date,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const finished = await tx
        .update(checkRuns)
        .set({
          result: outcome.result.kind,
          observed: outcome.result.observed,
          action: outcome.action,
          finishedAt: finishedAt.getTime(),
        })
        .where(and(runWhere(run), isNull(checkRuns.result), eq(checkRuns.startedAt, startedAt.getTime())))
        .returning({ checkId: checkRuns.checkId });
      if (finished.length !== 1) return false;
      await tx
        .update(qualityChecks)
        .set({ alert: outcome.alert })
        .where(and(eq(qualityChecks.teamId, run.teamId), eq(qualityChecks.id, run.checkId)));
      return true;
    });
  }

  async unannounced(
    limit: number,
  ): Promise<(RunRef & { action: Exclude<AlertAction, 'none'>; observed: string })[]> {
    const rows = await this.db
      .select({
        teamId: checkRuns.teamId,
        checkId: checkRuns.checkId,
        slotAt: checkRuns.slotAt,
        action: checkRuns.action,
        observed: checkRuns.observed,
      })
      .from(checkRuns)
      .where(
        and(
          isNotNull(checkRuns.result),
          inArray(checkRuns.action, ['failure', 'recovery', 'flapping']),
          isNull(checkRuns.announcedTs),
        ),
      )
      .orderBy(asc(checkRuns.announceAttempts), asc(checkRuns.finishedAt))
      .limit(limit);
    return rows.map((row) => ({
      teamId: row.teamId,
      checkId: row.checkId,
      slotAt: new Date(row.slotAt),
      action: row.action as Exclude<AlertAction, 'none'>,
      observed: row.observed as string,
    }));
  }

  /** One statement: of several instances claiming the post at once, the row lock lets one through. */
  async claimAnnouncement(
    run: RunRef,
    now: Date,
    staleBefore: Date,
  ): Promise<{ attempts: number } | undefined> {
    const [row] = await this.db
      .update(checkRuns)
      .set({ announceClaimedAt: now.getTime(), announceAttempts: sql`${checkRuns.announceAttempts} + 1` })
      .where(
        and(
          runWhere(run),
          isNull(checkRuns.announcedTs),
          or(isNull(checkRuns.announceClaimedAt), lt(checkRuns.announceClaimedAt, staleBefore.getTime())),
        ),
      )
      .returning({ attempts: sql<number>`(${checkRuns.announceAttempts} - 1)::int` });
    return row ? { attempts: Number(row.attempts) } : undefined;
  }

  async releaseAnnouncement(run: RunRef): Promise<void> {
    await this.db
      .update(checkRuns)
      .set({ announceClaimedAt: null })
      .where(and(runWhere(run), isNull(checkRuns.announcedTs)));
  }

  async pingsSince(teamId: string, channelId: string, since: Date): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(checkPings)
      .where(
        and(
          eq(checkPings.teamId, teamId),
          eq(checkPings.channelId, channelId),
          gte(checkPings.pingedAt, since.getTime()),
        ),
      );
    return Number(row?.n ?? 0);
  }

  /**
   * Records a ping at `at` unless `max` were recorded since `since`, under a lock on the channel's
   * budget: two instances at the last ping of the day cannot both send it.
   */
  claimPing(teamId: string, channelId: string, at: Date, since: Date, max: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await lockForTransaction(tx, `check-pings:${teamId}:${channelId}`);
      const [row] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(checkPings)
        .where(
          and(
            eq(checkPings.teamId, teamId),
            eq(checkPings.channelId, channelId),
            gte(checkPings.pingedAt, since.getTime()),
          ),
        );
      if (Number(row?.n ?? 0) >= max) return false;
      await tx.insert(checkPings).values({ teamId, channelId, pingedAt: at.getTime() });
      return true;
    });
  }

  async markAnnounced(run: RunRef, ts: string): Promise<void> {
    await this.db.update(checkRuns).set({ announcedTs: ts }).where(runWhere(run));
  }

  async runs(teamId: string, checkId: number, since: Date): Promise<CheckRun[]> {
    const rows = await this.db
      .select()
      .from(checkRuns)
      .where(
        and(
          eq(checkRuns.teamId, teamId),
          eq(checkRuns.checkId, checkId),
          gte(checkRuns.slotAt, since.getTime()),
        ),
      )
      .orderBy(asc(checkRuns.slotAt));
    return rows.map(toRun);
  }

  async run(run: RunRef): Promise<CheckRun | undefined> {
    const [row] = await this.db.select().from(checkRuns).where(runWhere(run));
    return row && toRun(row);
  }

  async acknowledge(run: RunRef, userId: string): Promise<boolean> {
    const rows = await this.db
      .update(checkRuns)
      .set({ acknowledgedBy: userId })
      .where(and(runWhere(run), isNull(checkRuns.acknowledgedBy)))
      .returning({ checkId: checkRuns.checkId });
    return rows.length === 1;
  }

  async markFalsePositive(run: RunRef): Promise<boolean> {
    const rows = await this.db
      .update(checkRuns)
      .set({ falsePositive: true })
      .where(and(runWhere(run), eq(checkRuns.result, 'failed'), eq(checkRuns.falsePositive, false)))
      .returning({ checkId: checkRuns.checkId });
    return rows.length === 1;
  }

  async snooze(teamId: string, checkId: number, until: Date): Promise<void> {
    await this.db
      .update(qualityChecks)
      .set({ snoozedUntil: until.getTime() })
      .where(and(eq(qualityChecks.teamId, teamId), eq(qualityChecks.id, checkId)));
  }
}

/**
 * Inserts the slot's run, or takes over one cut short (no result) that started before `staleBefore`.
 * Of two instances inserting the same slot, the second waits for the first's commit and then finds a
 * fresh run: its `do update … where` does nothing and returns no row. The check of another team gives
 * no row to insert. Moves the check's last slot forward (never back) with the claim.
 */
async function claimOne(tx: PgTx, run: ClaimRef, startedAt: Date, staleBefore: Date): Promise<boolean> {
  const slotAt = run.slotAt.getTime();
  const claimed = await tx.execute(sql`
    insert into check_runs (team_id, check_id, slot_at, started_at)
    select team_id, id, ${slotAt}, ${startedAt.getTime()} from quality_checks
    where team_id = ${run.teamId} and id = ${run.checkId}
    on conflict (check_id, slot_at) do update set started_at = excluded.started_at
      where check_runs.result is null and check_runs.started_at < ${staleBefore.getTime()}
    returning check_id`);
  if (claimed.rows.length !== 1) return false;
  await tx
    .update(qualityChecks)
    .set({ lastSlotAt: slotAt, nextSlotAt: run.nextSlotAt?.getTime() ?? null })
    .where(
      and(
        eq(qualityChecks.teamId, run.teamId),
        eq(qualityChecks.id, run.checkId),
        lte(qualityChecks.lastSlotAt, slotAt),
      ),
    );
  return true;
}

function offeredIn(
  db: PgDb | PgTx,
  teamId: string,
  taskId: number,
  turnId: number,
): Promise<ProposedCheck[]> {
  return db
    .select()
    .from(proposedChecks)
    .where(
      and(
        eq(proposedChecks.teamId, teamId),
        eq(proposedChecks.taskId, taskId),
        eq(proposedChecks.offeredTurnId, turnId),
      ),
    )
    .orderBy(...PROPOSAL_ORDER)
    .then((rows) => rows.map(toProposal));
}

/** Text in byte order, as SQLite compares it (the database's collation may sort otherwise). */
function byteOrder(column: typeof qualityChecks.name | typeof proposedChecks.name) {
  return sql`${column} collate "C"`;
}

const PROPOSAL_ORDER = [asc(proposedChecks.createdAt), byteOrder(proposedChecks.name)];

function runWhere(run: RunRef) {
  return and(
    eq(checkRuns.teamId, run.teamId),
    eq(checkRuns.checkId, run.checkId),
    eq(checkRuns.slotAt, run.slotAt.getTime()),
  );
}

/** The same AdoptedCheck as SQLite's mapper: jsonb columns arrive parsed, times as numbers. */
function toCheck(row: CheckRow): AdoptedCheck {
  return {
    id: row.id,
    teamId: row.teamId,
    channelId: row.channelId,
    taskId: row.taskId,
    threadTs: row.threadTs,
    name: row.name,
    sql: row.sql,
    expectation: row.expectation as Expectation,
    severity: row.severity,
    sourceName: row.sourceName,
    schedule: row.schedule as CheckSchedule,
    timeZone: row.timeZone,
    adoptedBy: row.adoptedBy,
    state: row.state,
    lastSlotAt: new Date(row.lastSlotAt),
    ...(row.nextSlotAt === null ? {} : { nextSlotAt: new Date(row.nextSlotAt) }),
    alert: row.alert as AlertState,
    ...(row.snoozedUntil === null ? {} : { snoozedUntil: new Date(row.snoozedUntil) }),
  };
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
    falsePositive: row.falsePositive,
  };
}

function toProposal(row: ProposalRow): ProposedCheck {
  return {
    teamId: row.teamId,
    taskId: row.taskId,
    name: row.name,
    sql: row.sql,
    expectation: row.expectation as Expectation,
    severity: row.severity,
    sandboxObserved: row.sandboxObserved,
    sandboxPassed: row.sandboxPassed,
  };
}

function checkColumns(check: CheckDefinition) {
  return { name: check.name, sql: check.sql, expectation: check.expectation, severity: check.severity };
}
