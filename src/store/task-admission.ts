import type Database from 'better-sqlite3';
import { and, eq, or } from 'drizzle-orm';
import type { DeliveryKey, Task } from '../core/domain.js';
import type { JobPayload } from '../core/jobs/jobs.js';
import {
  budgetRefusal,
  HOUR_MS,
  hourlyRefusal,
  type LimitRefusal,
  type LimitSettings,
  OverLimit,
  utcDay,
} from '../core/limits/limits.js';
import type { TaskAdmission } from '../core/tasks/task-admission.js';
import type { NewTask } from '../core/tasks/task-store.js';
import type { Db } from './db.js';
import { GroupCommit } from './group-commit.js';
import type { SqliteJobQueue } from './job-repo.js';
import { eventsSeen, tasks, turns } from './schema.js';
import {
  type Creation,
  type CreationStatements,
  creationStatements,
  insertTask,
  recordDelivery,
} from './task-creation.js';
import type { SqliteTaskStore } from './task-repo.js';
import type { DataSync } from './wal-sync.js';

/**
 * The SQLite unit of work that lets work in: each method is one transaction over the task, its turn,
 * the delivery record, the hourly limit's admission and the job queue. Every statement filters by
 * team_id.
 */
type Admitted = { task: Task; created: boolean } | { refused: LimitRefusal };

const NO_LIMITS: LimitSettings = { userTasksPerHour: 0, dailyTokenBudget: undefined };

export class SqliteTaskAdmission implements TaskAdmission {
  private readonly statements: CreationStatements;
  /** Task creation runs on the slash-command ack path: concurrent creations share one commit. */
  private readonly creations: GroupCommit<Creation, Admitted>;

  constructor(
    private readonly db: Db,
    sqlite: Database.Database,
    /** The queue admitted work goes to, in the same transaction. */
    private readonly jobs: SqliteJobQueue,
    private readonly tasks: Pick<SqliteTaskStore, 'findTask'>,
    /** How a commit's WAL reaches the disk before anyone is told (default fs.fdatasync; tests hold it). */
    dataSync?: DataSync,
    /** USER_TASKS_PER_HOUR and DAILY_TOKEN_BUDGET, checked inside the transaction that stores a task. */
    private readonly limits: LimitSettings = NO_LIMITS,
  ) {
    this.statements = creationStatements(sqlite);
    this.creations = new GroupCommit(sqlite, (item) => this.insertOnce(item), dataSync);
  }

  async createTask(
    input: NewTask,
    delivery: DeliveryKey,
    job: JobPayload = {},
  ): Promise<{ task: Task; created: boolean }> {
    const admitted = await this.creations.submit({ input, delivery, job });
    if ('refused' in admitted) throw new OverLimit(admitted.refused);
    return admitted;
  }

  /**
   * The limits are checked here, in the batch's transaction, after the delivery's de-duplication (a
   * second delivery of a stored task is never refused): the workspace's tokens today against
   * DAILY_TOKEN_BUDGET, then the person's admissions in the last hour against USER_TASKS_PER_HOUR, so a
   * burst from one person cannot pass together. A refusal stores nothing (its delivery record is
   * removed, so a later retry is judged afresh) and is returned, not thrown, so the rest of the batch
   * commits as one.
   */
  private insertOnce({ input, delivery, job }: Creation): Admitted {
    const seen = recordDelivery(this.statements, input.teamId, delivery);
    if (seen === undefined) {
      const earlier = this.findDeliveredTask(input.teamId, delivery);
      if (earlier) return { task: earlier, created: false };
      throw new Error('delivery was recorded without a task');
    }
    const refused = this.refusal(input.teamId, input.requesterId, Date.now());
    if (refused) {
      this.statements.forgetDelivery.run(input.teamId, seen);
      return { refused };
    }
    const task = insertTask(this.statements, input, seen);
    this.admit(input.teamId, input.requesterId);
    this.jobs.enqueueNew(input.teamId, task.id, job);
    return { task, created: true };
  }

  /** Throws OverLimit (inside a transaction, rolling it back) when the person may not start a call now. */
  private refuseOverLimit(teamId: string, userId: string): void {
    const refused = this.refusal(teamId, userId, Date.now());
    if (refused) throw new OverLimit(refused);
  }

  private refusal(teamId: string, userId: string, now: number): LimitRefusal | undefined {
    const { userTasksPerHour: perHour, dailyTokenBudget: budget } = this.limits;
    if (budget !== undefined) {
      const tokensToday = this.statements.tokensOnDay.get(teamId, utcDay(now)) ?? 0;
      const overBudget = budgetRefusal(budget, tokensToday, now);
      if (overBudget) return overBudget;
    }
    if (perHour <= 0) return undefined;
    return hourlyRefusal(perHour, this.statements.limitHitAt.get(teamId, userId, now - HOUR_MS, perHour - 1));
  }

  private findDeliveredTask(teamId: string, delivery: DeliveryKey): Task | undefined {
    const matches = [];
    if (delivery.deliveryId) matches.push(eq(eventsSeen.deliveryId, delivery.deliveryId));
    if (delivery.channelId && delivery.messageTs) {
      matches.push(
        and(eq(eventsSeen.channelId, delivery.channelId), eq(eventsSeen.messageTs, delivery.messageTs)),
      );
    }
    const seen = this.db
      .select({ taskId: eventsSeen.taskId })
      .from(eventsSeen)
      .where(and(eq(eventsSeen.teamId, teamId), or(...matches)))
      .get();
    return seen?.taskId ? this.tasks.findTask(teamId, seen.taskId) : undefined;
  }

  async recordFollowUp(
    teamId: string,
    taskId: number,
    delivery: DeliveryKey,
    turn: { content: string; userId: string; slackTs: string },
  ): Promise<boolean> {
    return this.db.transaction(
      (tx) => {
        const seen = tx
          .insert(eventsSeen)
          .values({
            teamId,
            taskId,
            deliveryId: delivery.deliveryId,
            channelId: delivery.channelId,
            messageTs: delivery.messageTs,
          })
          .onConflictDoNothing()
          .returning({ id: eventsSeen.id })
          .get();
        if (!seen) return false;
        // After the de-duplication (a redelivered reply is never refused); thrown, it rolls all back.
        this.refuseOverLimit(teamId, turn.userId);
        tx.insert(turns)
          .values({ teamId, taskId, role: 'user', ...turn })
          .run();
        this.admit(teamId, turn.userId);
        // A new reply to a failed task is answered (and "retry" retries it): it is no longer failed.
        tx.update(tasks)
          .set({ status: 'queued', failureReason: null, updatedAt: Date.now() })
          .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId), eq(tasks.status, 'failed')))
          .run();
        this.jobs.enqueueInTransaction(teamId, taskId);
        return true;
      },
      { behavior: 'immediate' },
    );
  }

  async retryFailed(teamId: string, taskId: number, userId: string): Promise<boolean> {
    return this.db.transaction(
      (tx) => {
        const changed = tx
          .update(tasks)
          .set({ status: 'queued', failureReason: null, updatedAt: Date.now() })
          .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId), eq(tasks.status, 'failed')))
          .run().changes;
        if (changed > 0) {
          // Only a retry that would run is judged; thrown, it puts the task back as it was.
          this.refuseOverLimit(teamId, userId);
          this.admit(teamId, userId);
          this.jobs.enqueueInTransaction(teamId, taskId);
        }
        return changed > 0;
      },
      { behavior: 'immediate' },
    );
  }

  /**
   * Counts one Claude call started by `userId` toward USER_TASKS_PER_HOUR, in the caller's transaction:
   * a row deleting the message in Slack never removes (see `admissions` in schema.ts).
   */
  private admit(teamId: string, userId: string): void {
    this.statements.insertAdmission.run(teamId, userId, Date.now());
  }
}
