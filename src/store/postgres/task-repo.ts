import { and, asc, eq, gt, ne, sql } from 'drizzle-orm';
import type { Task, Turn, Usage } from '../../core/domain.js';
import { utcDay } from '../../core/limits/limits.js';
import type { ReservedTurn, TaskStore } from '../../core/tasks/task-store.js';
import { toTask } from '../task-repo.js';
import { usageColumns } from '../turn-repo.js';
import type { PgDb } from './db.js';
import { PostgresLimitStore } from './limits-repo.js';
import { tasks, turns } from './schema.js';

/**
 * A task's state, usage and conversation on PostgreSQL (see ../task-repo.ts and ../turn-repo.ts).
 * It never queues work. Every statement filters by team_id.
 */
export class PostgresTaskStore implements TaskStore {
  private readonly dailyUsage: PostgresLimitStore;

  constructor(private readonly db: PgDb) {
    this.dailyUsage = new PostgresLimitStore(db);
  }

  async getTask(teamId: string, taskId: number): Promise<Task | undefined> {
    const [row] = await this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId)));
    return row ? toTask(row) : undefined;
  }

  async findTaskByThread(teamId: string, channelId: string, threadTs: string): Promise<Task | undefined> {
    const [row] = await this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.teamId, teamId), eq(tasks.channelId, channelId), eq(tasks.threadTs, threadTs)));
    return row ? toTask(row) : undefined;
  }

  setThread(teamId: string, taskId: number, threadTs: string): Promise<void> {
    return this.updateTask(teamId, taskId, { threadTs });
  }

  markRunning(teamId: string, taskId: number, model: string): Promise<void> {
    return this.updateTask(teamId, taskId, { status: 'running', model });
  }

  markContextTrimmed(teamId: string, taskId: number): Promise<void> {
    return this.updateTask(teamId, taskId, { contextTrimmed: true });
  }

  setStopControlTs(teamId: string, taskId: number, ts: string | null): Promise<void> {
    return this.updateTask(teamId, taskId, { stopControlTs: ts });
  }

  setAnswerTs(teamId: string, taskId: number, answerTs: string): Promise<void> {
    return this.updateTask(teamId, taskId, { answerTs });
  }

  async completeTask(teamId: string, taskId: number, usage: Usage, costUsd: number): Promise<void> {
    await this.dailyUsage.addUsage(teamId, utcDay(Date.now()), usage);
    await this.updateTask(teamId, taskId, {
      status: 'done',
      failureReason: null,
      ...addedUsageColumns(usage, costUsd),
      completedAt: Date.now(),
    });
  }

  async markWaiting(teamId: string, taskId: number, usage: Usage, costUsd: number): Promise<void> {
    await this.dailyUsage.addUsage(teamId, utcDay(Date.now()), usage);
    await this.updateTask(teamId, taskId, {
      status: 'waiting_for_answers',
      ...addedUsageColumns(usage, costUsd),
    });
  }

  async failTask(
    teamId: string,
    taskId: number,
    reason: string,
    usage: Usage,
    costUsd: number,
  ): Promise<void> {
    await this.dailyUsage.addUsage(teamId, utcDay(Date.now()), usage);
    await this.updateTask(teamId, taskId, {
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
    await this.db.insert(turns).values({
      teamId,
      taskId,
      role: turn.role,
      content: turn.content,
      userId: turn.userId,
      slackTs: turn.slackTs,
      ...(turn.usage ? usageColumns(turn.usage) : {}),
    });
  }

  /** As on SQLite, in one transaction: a cut-short turn is resumed, or moved after replies that came since. */
  beginAssistantTurn(teamId: string, taskId: number): Promise<ReservedTurn> {
    return this.db.transaction(async (tx) => {
      const ofTask = and(eq(turns.teamId, teamId), eq(turns.taskId, taskId));
      const [unfinished] = await tx
        .select({ id: turns.id, messageTs: turns.messageTs })
        .from(turns)
        .where(and(ofTask, eq(turns.role, 'assistant'), eq(turns.content, '')))
        .orderBy(asc(turns.id))
        .limit(1)
        .for('update');
      const messageTs = unfinished?.messageTs ?? [];
      if (unfinished) {
        const [later] = await tx
          .select({ id: turns.id })
          .from(turns)
          .where(and(ofTask, gt(turns.id, unfinished.id)))
          .limit(1);
        if (!later) return { id: unfinished.id, messageTs };
        await tx.delete(turns).where(and(eq(turns.teamId, teamId), eq(turns.id, unfinished.id)));
      }
      const [row] = await tx
        .insert(turns)
        .values({ teamId, taskId, role: 'assistant', content: '', messageTs })
        .returning({ id: turns.id });
      if (!row) throw new Error('the reserved turn was not inserted');
      return { id: row.id, messageTs };
    });
  }

  setTurnMessages(teamId: string, turnId: number, messageTs: string[]): Promise<void> {
    return this.updateTurn(teamId, turnId, { messageTs });
  }

  finishAssistantTurn(
    teamId: string,
    turnId: number,
    content: string,
    usage: Usage,
    slackTs?: string,
  ): Promise<void> {
    return this.updateTurn(teamId, turnId, { content, slackTs, ...usageColumns(usage) });
  }

  async discardTurn(teamId: string, turnId: number): Promise<void> {
    await this.db.delete(turns).where(and(eq(turns.teamId, teamId), eq(turns.id, turnId)));
  }

  async firstTurn(teamId: string, taskId: number): Promise<{ id: number; content: string } | undefined> {
    const [row] = await this.db
      .select({ id: turns.id, content: turns.content })
      .from(turns)
      .where(and(eq(turns.teamId, teamId), eq(turns.taskId, taskId)))
      .orderBy(asc(turns.id))
      .limit(1);
    return row;
  }

  setTurnContent(teamId: string, turnId: number, content: string): Promise<void> {
    return this.updateTurn(teamId, turnId, { content });
  }

  listTurns(teamId: string, taskId: number): Promise<Turn[]> {
    return this.db
      .select({ role: turns.role, content: turns.content })
      .from(turns)
      .where(and(eq(turns.teamId, teamId), eq(turns.taskId, taskId), ne(turns.content, '')))
      .orderBy(asc(turns.id));
  }

  private async updateTask(
    teamId: string,
    taskId: number,
    values: Parameters<ReturnType<PgDb['update']>['set']>[0],
  ): Promise<void> {
    await this.db
      .update(tasks)
      .set({ ...values, updatedAt: Date.now() })
      .where(and(eq(tasks.teamId, teamId), eq(tasks.id, taskId)));
  }

  private async updateTurn(
    teamId: string,
    turnId: number,
    values: Parameters<ReturnType<PgDb['update']>['set']>[0],
  ): Promise<void> {
    await this.db
      .update(turns)
      .set(values)
      .where(and(eq(turns.teamId, teamId), eq(turns.id, turnId)));
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
