import type Database from 'better-sqlite3';
import { and, eq, or, sql } from 'drizzle-orm';
import type { DeliveryKey, Task, Usage } from '../core/domain.js';
import type { JobPayload } from '../core/jobs/jobs.js';
import { utcDay } from '../core/limits/limits.js';
import type { NewTask, TaskStore } from '../core/tasks/task-store.js';
import type { Db } from './db.js';
import { GroupCommit } from './group-commit.js';
import { SqliteJobQueue } from './job-repo.js';
import { SqliteLimitStore } from './limits-repo.js';
import { admissions, eventsSeen, type TaskRow, tasks, turns } from './schema.js';
import { SqliteTurnRecords } from './turn-repo.js';

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    teamId: row.teamId,
    channelId: row.channelId,
    threadTs: row.threadTs,
    requesterId: row.requesterId,
    source: row.source,
    text: row.text,
    title: row.title,
    status: row.status,
    answerTs: row.answerTs,
    failureReason: row.failureReason,
    contextTrimmed: row.contextTrimmed,
    stopControlTs: row.stopControlTs,
  };
}

/** SQLite-backed TaskStore. Every statement filters by team_id. */
export class SqliteTaskStore extends SqliteTurnRecords implements TaskStore {
  /**
   * Task creation runs on the slash-command ack path: its statements are prepared once (building
   * drizzle queries per call cost about five times the SQLite work itself) and concurrent creations
   * share one commit.
   */
  private readonly recordDelivery;
  private readonly insertTask;
  private readonly linkDelivery;
  private readonly insertFirstTurn;
  private readonly insertAdmission;
  /** Today's tokens per workspace (DAILY_TOKEN_BUDGET), added as each turn's usage is stored. */
  private readonly dailyUsage: SqliteLimitStore;
  private readonly creations: GroupCommit<
    { input: NewTask; delivery: DeliveryKey; job: JobPayload },
    { task: Task; created: boolean }
  >;

  /** `jobs`: the queue new tasks and replies are enqueued in, in the same transaction. */
  constructor(
    db: Db,
    sqlite: Database.Database,
    private readonly jobs: SqliteJobQueue = new SqliteJobQueue(sqlite),
  ) {
    super(db);
    this.dailyUsage = new SqliteLimitStore(sqlite);
    this.creations = new GroupCommit(sqlite, (item) => this.insertOnce(item));
    const p = (name: string) => sql.placeholder(name);
    this.recordDelivery = db
      .insert(eventsSeen)
      .values({
        teamId: p('teamId'),
        deliveryId: p('deliveryId'),
        channelId: p('channelId'),
        messageTs: p('messageTs'),
      })
      .onConflictDoNothing()
      .returning({ id: eventsSeen.id })
      .prepare();
    this.insertTask = db
      .insert(tasks)
      .values({
        teamId: p('teamId'),
        channelId: p('channelId'),
        requesterId: p('requesterId'),
        source: p('source'),
        text: p('text'),
        title: p('title'),
        threadTs: p('threadTs'),
      })
      .returning()
      .prepare();
    this.insertFirstTurn = db
      .insert(turns)
      .values({
        teamId: p('teamId'),
        taskId: p('taskId'),
        role: 'user',
        content: p('content'),
        userId: p('userId'),
        slackTs: p('slackTs'),
      })
      .prepare();
    this.insertAdmission = db
      .insert(admissions)
      .values({ teamId: p('teamId'), userId: p('userId'), at: p('at') })
      .prepare();
    this.linkDelivery = db
      .update(eventsSeen)
      .set({ taskId: sql`${p('taskId')}` })
      .where(and(eq(eventsSeen.teamId, p('teamId')), eq(eventsSeen.id, p('id'))))
      .prepare();
  }

  createTask(
    input: NewTask,
    delivery: DeliveryKey,
    job: JobPayload = {},
  ): Promise<{ task: Task; created: boolean }> {
    return this.creations.submit({ input, delivery, job });
  }

  private insertOnce({ input, delivery, job }: { input: NewTask; delivery: DeliveryKey; job: JobPayload }): {
    task: Task;
    created: boolean;
  } {
    const seen = this.recordDelivery.get({
      teamId: input.teamId,
      deliveryId: delivery.deliveryId ?? null,
      channelId: delivery.channelId ?? null,
      messageTs: delivery.messageTs ?? null,
    });
    if (!seen) {
      const earlier = this.findDeliveredTask(input.teamId, delivery);
      if (earlier) return { task: earlier, created: false };
      throw new Error('delivery was recorded without a task');
    }
    const { firstTurn, ...task } = input;
    const row = this.insertTask.get({ ...task, threadTs: input.threadTs ?? null });
    if (!row) throw new Error('task insert returned nothing');
    this.linkDelivery.run({ taskId: row.id, teamId: input.teamId, id: seen.id });
    this.insertFirstTurn.run({
      teamId: input.teamId,
      taskId: row.id,
      content: firstTurn.content,
      userId: input.requesterId,
      slackTs: firstTurn.slackTs ?? null,
    });
    this.admit(input.teamId, input.requesterId);
    this.jobs.enqueueNew(input.teamId, row.id, job);
    return { task: toTask(row), created: true };
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
    return seen?.taskId ? this.getTask(teamId, seen.taskId) : undefined;
  }

  getTask(teamId: string, taskId: number): Task | undefined {
    const row = this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId)))
      .get();
    return row ? toTask(row) : undefined;
  }

  findTaskByThread(teamId: string, channelId: string, threadTs: string): Task | undefined {
    const row = this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.teamId, teamId), eq(tasks.channelId, channelId), eq(tasks.threadTs, threadTs)))
      .get();
    return row ? toTask(row) : undefined;
  }

  recordFollowUp(
    teamId: string,
    taskId: number,
    delivery: DeliveryKey,
    turn: { content: string; userId: string; slackTs: string },
  ): boolean {
    return this.db.transaction((tx) => {
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
      tx.insert(turns)
        .values({ teamId, taskId, role: 'user', ...turn })
        .run();
      this.admit(teamId, turn.userId);
      // A new reply to a failed task is answered (and "retry" retries it): it is no longer failed.
      tx.update(tasks)
        .set({ status: 'queued', failureReason: null, updatedAt: Date.now() })
        .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId), eq(tasks.status, 'failed')))
        .run();
      this.jobs.enqueue(teamId, taskId);
      return true;
    });
  }

  setThread(teamId: string, taskId: number, threadTs: string): void {
    this.updateTask(teamId, taskId, { threadTs });
  }

  retryFailed(teamId: string, taskId: number, userId: string): boolean {
    return this.db.transaction((tx) => {
      const changed = tx
        .update(tasks)
        .set({ status: 'queued', failureReason: null, updatedAt: Date.now() })
        .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId), eq(tasks.status, 'failed')))
        .run().changes;
      if (changed > 0) {
        this.admit(teamId, userId);
        this.jobs.enqueue(teamId, taskId);
      }
      return changed > 0;
    });
  }

  /**
   * Counts one Claude call started by `userId` toward USER_TASKS_PER_HOUR, in the caller's transaction:
   * a row deleting the message in Slack never removes (see `admissions` in schema.ts).
   */
  private admit(teamId: string, userId: string): void {
    this.insertAdmission.run({ teamId, userId, at: Date.now() });
  }

  markRunning(teamId: string, taskId: number, model: string): void {
    this.updateTask(teamId, taskId, { status: 'running', model });
  }

  markContextTrimmed(teamId: string, taskId: number): void {
    this.updateTask(teamId, taskId, { contextTrimmed: true });
  }

  setStopControlTs(teamId: string, taskId: number, ts: string | null): void {
    this.updateTask(teamId, taskId, { stopControlTs: ts });
  }

  setAnswerTs(teamId: string, taskId: number, answerTs: string): void {
    this.updateTask(teamId, taskId, { answerTs });
  }

  completeTask(teamId: string, taskId: number, usage: Usage, costUsd: number): void {
    this.dailyUsage.addUsage(teamId, utcDay(Date.now()), usage);
    this.updateTask(teamId, taskId, {
      status: 'done',
      failureReason: null,
      ...addedUsageColumns(usage, costUsd),
      completedAt: Date.now(),
    });
  }

  markWaiting(teamId: string, taskId: number, usage: Usage, costUsd: number): void {
    this.dailyUsage.addUsage(teamId, utcDay(Date.now()), usage);
    this.updateTask(teamId, taskId, { status: 'waiting_for_answers', ...addedUsageColumns(usage, costUsd) });
  }

  failTask(teamId: string, taskId: number, reason: string, usage: Usage, costUsd: number): void {
    this.dailyUsage.addUsage(teamId, utcDay(Date.now()), usage);
    this.updateTask(teamId, taskId, {
      status: 'failed',
      failureReason: reason,
      ...addedUsageColumns(usage, costUsd),
      completedAt: Date.now(),
    });
  }

  private updateTask(
    teamId: string,
    taskId: number,
    values: Parameters<ReturnType<Db['update']>['set']>[0],
  ): void {
    this.db
      .update(tasks)
      .set({ ...values, updatedAt: Date.now() })
      .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId)))
      .run();
  }
}

/** Usage and cost add up over the turns of a task. */
function addedUsageColumns(usage: Usage, costUsd: number) {
  return {
    inputTokens: sql`${tasks.inputTokens} + ${usage.inputTokens}`,
    outputTokens: sql`${tasks.outputTokens} + ${usage.outputTokens}`,
    cacheReadTokens: sql`${tasks.cacheReadTokens} + ${usage.cacheReadTokens}`,
    cacheWriteTokens: sql`${tasks.cacheWriteTokens} + ${usage.cacheWriteTokens}`,
    costUsd: sql`${tasks.costUsd} + ${costUsd}`,
  };
}
