import type Database from 'better-sqlite3';
import { and, eq, sql } from 'drizzle-orm';
import type { Task, Turn, Usage } from '../core/domain.js';
import { utcDay } from '../core/limits/limits.js';
import type { ReservedTurn, TaskStore } from '../core/tasks/task-store.js';
import type { Db } from './db.js';
import { SqliteLimitStore } from './limits-repo.js';
import { type TaskRow, tasks } from './schema.js';
import { SqliteTurnRecords } from './turn-repo.js';

export function toTask(row: TaskRow): Task {
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

/**
 * SQLite-backed TaskStore: a task's state and usage, and (through its turn records) its conversation.
 * It never queues work: that is SqliteTaskAdmission's. Every statement filters by team_id.
 */
export class SqliteTaskStore implements TaskStore {
  /** Today's tokens per workspace (DAILY_TOKEN_BUDGET), added as each turn's usage is stored. */
  private readonly dailyUsage: SqliteLimitStore;
  private readonly turns: SqliteTurnRecords;

  constructor(
    private readonly db: Db,
    sqlite: Database.Database,
  ) {
    this.dailyUsage = new SqliteLimitStore(sqlite);
    this.turns = new SqliteTurnRecords(db);
  }

  async getTask(teamId: string, taskId: number): Promise<Task | undefined> {
    return this.findTask(teamId, taskId);
  }

  /** getTask without the promise, for use inside a transaction (task admission; never await inside one). */
  findTask(teamId: string, taskId: number): Task | undefined {
    const row = this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId)))
      .get();
    return row ? toTask(row) : undefined;
  }

  async findTaskByThread(teamId: string, channelId: string, threadTs: string): Promise<Task | undefined> {
    const row = this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.teamId, teamId), eq(tasks.channelId, channelId), eq(tasks.threadTs, threadTs)))
      .get();
    return row ? toTask(row) : undefined;
  }

  async setThread(teamId: string, taskId: number, threadTs: string): Promise<void> {
    this.updateTask(teamId, taskId, { threadTs });
  }

  async markRunning(teamId: string, taskId: number, model: string): Promise<void> {
    this.updateTask(teamId, taskId, { status: 'running', model });
  }

  async markContextTrimmed(teamId: string, taskId: number): Promise<void> {
    this.updateTask(teamId, taskId, { contextTrimmed: true });
  }

  async setStopControlTs(teamId: string, taskId: number, ts: string | null): Promise<void> {
    this.updateTask(teamId, taskId, { stopControlTs: ts });
  }

  async setAnswerTs(teamId: string, taskId: number, answerTs: string): Promise<void> {
    this.updateTask(teamId, taskId, { answerTs });
  }

  async completeTask(teamId: string, taskId: number, usage: Usage, costUsd: number): Promise<void> {
    this.dailyUsage.addUsage(teamId, utcDay(Date.now()), usage);
    this.updateTask(teamId, taskId, {
      status: 'done',
      failureReason: null,
      ...addedUsageColumns(usage, costUsd),
      completedAt: Date.now(),
    });
  }

  async markWaiting(teamId: string, taskId: number, usage: Usage, costUsd: number): Promise<void> {
    this.dailyUsage.addUsage(teamId, utcDay(Date.now()), usage);
    this.updateTask(teamId, taskId, { status: 'waiting_for_answers', ...addedUsageColumns(usage, costUsd) });
  }

  async failTask(
    teamId: string,
    taskId: number,
    reason: string,
    usage: Usage,
    costUsd: number,
  ): Promise<void> {
    this.dailyUsage.addUsage(teamId, utcDay(Date.now()), usage);
    this.updateTask(teamId, taskId, {
      status: 'failed',
      failureReason: reason,
      ...addedUsageColumns(usage, costUsd),
      completedAt: Date.now(),
    });
  }

  async addTurn(
    teamId: string,
    taskId: number,
    turn: Turn & { userId?: string; slackTs?: string; usage?: Usage },
  ): Promise<void> {
    this.turns.addTurn(teamId, taskId, turn);
  }

  async beginAssistantTurn(teamId: string, taskId: number): Promise<ReservedTurn> {
    return this.turns.beginAssistantTurn(teamId, taskId);
  }

  async setTurnMessages(teamId: string, turnId: number, messageTs: string[]): Promise<void> {
    this.turns.setTurnMessages(teamId, turnId, messageTs);
  }

  async finishAssistantTurn(
    teamId: string,
    turnId: number,
    content: string,
    usage: Usage,
    slackTs?: string,
  ): Promise<void> {
    this.turns.finishAssistantTurn(teamId, turnId, content, usage, slackTs);
  }

  async discardTurn(teamId: string, turnId: number): Promise<void> {
    this.turns.discardTurn(teamId, turnId);
  }

  async firstTurn(teamId: string, taskId: number): Promise<{ id: number; content: string } | undefined> {
    return this.turns.firstTurn(teamId, taskId);
  }

  async setTurnContent(teamId: string, turnId: number, content: string): Promise<void> {
    this.turns.setTurnContent(teamId, turnId, content);
  }

  async listTurns(teamId: string, taskId: number): Promise<Turn[]> {
    return this.turns.listTurns(teamId, taskId);
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
