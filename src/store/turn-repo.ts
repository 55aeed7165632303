import { and, asc, eq, gt, ne } from 'drizzle-orm';
import type { Turn, Usage } from '../core/domain.js';
import type { ReservedTurn } from '../core/tasks/task-store.js';
import type { Db } from './db.js';
import { turns } from './schema.js';

/**
 * The conversation half of the TaskStore: a task's turns, the assistant turn reserved while it is
 * being answered, and the Slack messages that answer has reached. Every statement filters by team_id.
 */
export class SqliteTurnRecords {
  constructor(private readonly db: Db) {}

  addTurn(
    teamId: string,
    taskId: number,
    turn: Turn & { userId?: string; slackTs?: string; usage?: Usage },
  ): void {
    this.db
      .insert(turns)
      .values({
        teamId,
        taskId,
        role: turn.role,
        content: turn.content,
        userId: turn.userId,
        slackTs: turn.slackTs,
        ...(turn.usage ? usageColumns(turn.usage) : {}),
      })
      .run();
  }

  beginAssistantTurn(teamId: string, taskId: number): ReservedTurn {
    const unfinished = this.db
      .select({ id: turns.id, messageTs: turns.messageTs })
      .from(turns)
      .where(
        and(
          eq(turns.teamId, teamId),
          eq(turns.taskId, taskId),
          eq(turns.role, 'assistant'),
          eq(turns.content, ''),
        ),
      )
      .orderBy(asc(turns.id))
      .get();
    const messageTs = unfinished?.messageTs ?? [];
    if (unfinished) {
      const later = this.db
        .select({ id: turns.id })
        .from(turns)
        .where(and(eq(turns.teamId, teamId), eq(turns.taskId, taskId), gt(turns.id, unfinished.id)))
        .get();
      if (!later) return { id: unfinished.id, messageTs };
      // Replies arrived while the cut-short answer waited to resume: the resumed answer reads them, so
      // its place moves after them (keeping the messages it had reached), and they count as answered.
      this.db
        .delete(turns)
        .where(and(eq(turns.teamId, teamId), eq(turns.id, unfinished.id)))
        .run();
    }
    const row = this.db
      .insert(turns)
      .values({ teamId, taskId, role: 'assistant', content: '', messageTs })
      .returning({ id: turns.id })
      .get();
    return { id: row.id, messageTs };
  }

  setTurnMessages(teamId: string, turnId: number, messageTs: string[]): void {
    this.db
      .update(turns)
      .set({ messageTs })
      .where(and(eq(turns.teamId, teamId), eq(turns.id, turnId)))
      .run();
  }

  finishAssistantTurn(teamId: string, turnId: number, content: string, usage: Usage, slackTs?: string): void {
    this.db
      .update(turns)
      .set({ content, slackTs, ...usageColumns(usage) })
      .where(and(eq(turns.teamId, teamId), eq(turns.id, turnId)))
      .run();
  }

  discardTurn(teamId: string, turnId: number): void {
    this.db
      .delete(turns)
      .where(and(eq(turns.teamId, teamId), eq(turns.id, turnId)))
      .run();
  }

  firstTurn(teamId: string, taskId: number): { id: number; content: string } | undefined {
    return this.db
      .select({ id: turns.id, content: turns.content })
      .from(turns)
      .where(and(eq(turns.teamId, teamId), eq(turns.taskId, taskId)))
      .orderBy(asc(turns.id))
      .get();
  }

  setTurnContent(teamId: string, turnId: number, content: string): void {
    this.db
      .update(turns)
      .set({ content })
      .where(and(eq(turns.teamId, teamId), eq(turns.id, turnId)))
      .run();
  }

  listTurns(teamId: string, taskId: number): Turn[] {
    return this.db
      .select({ role: turns.role, content: turns.content })
      .from(turns)
      .where(and(eq(turns.teamId, teamId), eq(turns.taskId, taskId), ne(turns.content, '')))
      .orderBy(asc(turns.id))
      .all();
  }
}

export function usageColumns(usage: Usage) {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheReadTokens: usage.cacheReadTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
  };
}
