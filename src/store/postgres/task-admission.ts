import { and, desc, eq, gt, or } from 'drizzle-orm';
import type { DeliveryKey, Task } from '../../core/domain.js';
import type { JobPayload } from '../../core/jobs/jobs.js';
import {
  budgetRefusal,
  HOUR_MS,
  hourlyRefusal,
  type LimitSettings,
  OverLimit,
  utcDay,
} from '../../core/limits/limits.js';
import type { TaskAdmission } from '../../core/tasks/task-admission.js';
import type { NewTask } from '../../core/tasks/task-store.js';
import { toTask } from '../task-repo.js';
import { enqueueAnswer } from './answer-queue.js';
import type { PgDb } from './db.js';
import { lockForTransaction, type PgTx } from './locks.js';
import { admissions, dailyUsage, eventsSeen, tasks, turns } from './schema.js';

/**
 * The unit of work that lets work in, on PostgreSQL: each method is one transaction over the task, its
 * first turn, the delivery record, the hourly limit's admission and the task's job in the answer queue
 * (graphile-worker's add_job, in the same transaction). Every statement filters by team_id.
 */
export class PostgresTaskAdmission implements TaskAdmission {
  constructor(
    private readonly db: PgDb,
    /** USER_TASKS_PER_HOUR and DAILY_TOKEN_BUDGET, checked inside the creating transaction. */
    private readonly limits: LimitSettings,
  ) {}

  /**
   * One delivery creates one task: a concurrent duplicate waits on the delivery's unique key and then
   * finds the first task. Then the limits: the workspace's tokens today (DAILY_TOKEN_BUDGET), and the
   * person's admissions, counted under a lock on that person, so messages arriving together on several
   * instances cannot all pass the hourly limit. A refusal is thrown (OverLimit): the transaction rolls
   * back, delivery record included, so a later retry is judged afresh.
   */
  createTask(
    input: NewTask,
    delivery: DeliveryKey,
    job: JobPayload = {},
  ): Promise<{ task: Task; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const [seen] = await tx
        .insert(eventsSeen)
        .values({ teamId: input.teamId, ...deliveryColumns(delivery) })
        .onConflictDoNothing()
        .returning({ id: eventsSeen.id });
      if (!seen) {
        const earlier = await this.deliveredTask(tx, input.teamId, delivery);
        if (earlier) return { task: earlier, created: false };
        throw new Error('delivery was recorded without a task');
      }
      const now = Date.now();
      await this.checkLimits(tx, input.teamId, input.requesterId, now);
      const [row] = await tx
        .insert(tasks)
        .values({
          teamId: input.teamId,
          channelId: input.channelId,
          requesterId: input.requesterId,
          source: input.source,
          text: input.text,
          title: input.title,
          threadTs: input.threadTs ?? null,
        })
        .returning();
      if (!row) throw new Error('task insert returned nothing');
      await tx.update(eventsSeen).set({ taskId: row.id }).where(eq(eventsSeen.id, seen.id));
      await tx.insert(turns).values({
        teamId: input.teamId,
        taskId: row.id,
        role: 'user',
        content: input.firstTurn.content,
        userId: input.requesterId,
        slackTs: input.firstTurn.slackTs ?? null,
      });
      await tx.insert(admissions).values({ teamId: input.teamId, userId: input.requesterId, at: now });
      await enqueueAnswer(tx, input.teamId, row.id, job);
      return { task: toTask(row), created: true };
    });
  }

  /** A human reply in the task's thread, stored and queued once per delivery. */
  recordFollowUp(
    teamId: string,
    taskId: number,
    delivery: DeliveryKey,
    turn: { content: string; userId: string; slackTs: string },
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [seen] = await tx
        .insert(eventsSeen)
        .values({ teamId, taskId, ...deliveryColumns(delivery) })
        .onConflictDoNothing()
        .returning({ id: eventsSeen.id });
      if (!seen) return false;
      // After the de-duplication (a redelivered reply is never refused); thrown, it rolls all back.
      const now = Date.now();
      await this.checkLimits(tx, teamId, turn.userId, now);
      await tx.insert(turns).values({ teamId, taskId, role: 'user', ...turn });
      await tx.insert(admissions).values({ teamId, userId: turn.userId, at: now });
      // A new reply to a failed task is answered: it is no longer failed.
      await this.requeueFailed(tx, teamId, taskId);
      await enqueueAnswer(tx, teamId, taskId);
      return true;
    });
  }

  /** The Retry button: a failed task back in the queue, once however many times it is pressed. */
  retryFailed(teamId: string, taskId: number, userId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await this.requeueFailed(tx, teamId, taskId))) return false;
      // Only a retry that would run is judged; thrown, it puts the task back as it was.
      const now = Date.now();
      await this.checkLimits(tx, teamId, userId, now);
      await tx.insert(admissions).values({ teamId, userId, at: now });
      await enqueueAnswer(tx, teamId, taskId);
      return true;
    });
  }

  private async requeueFailed(tx: PgTx, teamId: string, taskId: number): Promise<boolean> {
    const changed = await tx
      .update(tasks)
      .set({ status: 'queued', failureReason: null, updatedAt: Date.now() })
      .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId), eq(tasks.status, 'failed')))
      .returning({ id: tasks.id });
    return changed.length > 0;
  }

  /** DAILY_TOKEN_BUDGET, then USER_TASKS_PER_HOUR: throws OverLimit, which rolls the transaction back. */
  private async checkLimits(tx: PgTx, teamId: string, userId: string, now: number): Promise<void> {
    await this.checkBudget(tx, teamId, now);
    await this.checkHourlyLimit(tx, teamId, userId, now);
  }

  private async checkBudget(tx: PgTx, teamId: string, now: number): Promise<void> {
    const budget = this.limits.dailyTokenBudget;
    if (budget === undefined) return;
    const [today] = await tx
      .select({ tokens: dailyUsage.tokens })
      .from(dailyUsage)
      .where(and(eq(dailyUsage.teamId, teamId), eq(dailyUsage.day, utcDay(now))));
    const refusal = budgetRefusal(budget, Number(today?.tokens ?? 0), now);
    if (refusal) throw new OverLimit(refusal);
  }

  private async checkHourlyLimit(tx: PgTx, teamId: string, userId: string, now: number): Promise<void> {
    const perHour = this.limits.userTasksPerHour;
    if (perHour <= 0) return;
    await lockForTransaction(tx, `admissions:${teamId}:${userId}`);
    const [hit] = await tx
      .select({ at: admissions.at })
      .from(admissions)
      .where(
        and(eq(admissions.teamId, teamId), eq(admissions.userId, userId), gt(admissions.at, now - HOUR_MS)),
      )
      .orderBy(desc(admissions.at))
      .limit(1)
      .offset(perHour - 1);
    const refusal = hourlyRefusal(perHour, hit?.at);
    if (refusal) throw new OverLimit(refusal);
  }

  private async deliveredTask(tx: PgTx, teamId: string, delivery: DeliveryKey): Promise<Task | undefined> {
    const matches = [];
    if (delivery.deliveryId) matches.push(eq(eventsSeen.deliveryId, delivery.deliveryId));
    if (delivery.channelId && delivery.messageTs) {
      matches.push(
        and(eq(eventsSeen.channelId, delivery.channelId), eq(eventsSeen.messageTs, delivery.messageTs)),
      );
    }
    const [row] = await tx
      .select({ task: tasks })
      .from(eventsSeen)
      .innerJoin(tasks, and(eq(tasks.id, eventsSeen.taskId), eq(tasks.teamId, teamId)))
      .where(and(eq(eventsSeen.teamId, teamId), or(...matches)))
      .limit(1);
    return row ? toTask(row.task) : undefined;
  }
}

function deliveryColumns(delivery: DeliveryKey) {
  return {
    deliveryId: delivery.deliveryId ?? null,
    channelId: delivery.channelId ?? null,
    messageTs: delivery.messageTs ?? null,
  };
}
