import { and, eq, gte, sql } from 'drizzle-orm';
import type { FeedbackStore } from '../../core/feedback/feedback.js';
import {
  type FeedbackCounts,
  MAX_COMMENT_CHARS,
  MAX_VOTE_CHANGES,
  type Vote,
  type VoteWrite,
} from '../../core/feedback/feedback.js';
import type { PgDb } from './db.js';
import { answerFeedback, tasks, turns } from './schema.js';

/** Votes on answers (answer_feedback) on PostgreSQL, every statement scoped by team. */
export class PostgresFeedbackStore implements FeedbackStore {
  constructor(private readonly db: PgDb) {}

  async answerIn(teamId: string, channelId: string, turnId: number): Promise<{ taskId: number } | undefined> {
    const [row] = await this.db
      .select({ taskId: turns.taskId })
      .from(turns)
      .innerJoin(tasks, eq(tasks.id, turns.taskId))
      .where(
        and(
          eq(turns.teamId, teamId),
          eq(turns.id, turnId),
          eq(turns.role, 'assistant'),
          eq(tasks.teamId, teamId),
          eq(tasks.channelId, channelId),
        ),
      );
    return row;
  }

  /** One transaction: the person's row is inserted, or locked and then judged (two clicks at once queue). */
  vote(
    teamId: string,
    answer: { turnId: number; taskId: number; channelId: string },
    userId: string,
    vote: Vote,
  ): Promise<VoteWrite> {
    return this.db.transaction(async (tx) => {
      const key = and(
        eq(answerFeedback.teamId, teamId),
        eq(answerFeedback.turnId, answer.turnId),
        eq(answerFeedback.userId, userId),
      );
      const inserted = await tx
        .insert(answerFeedback)
        .values({
          teamId,
          turnId: answer.turnId,
          taskId: answer.taskId,
          channelId: answer.channelId,
          userId,
          vote,
        })
        .onConflictDoNothing()
        .returning({ vote: answerFeedback.vote });
      if (inserted.length > 0) return 'stored';
      const [row] = await tx
        .select({ vote: answerFeedback.vote, changes: answerFeedback.changes })
        .from(answerFeedback)
        .where(key)
        .for('update');
      if (!row || row.vote === vote) return 'unchanged';
      if (row.changes >= MAX_VOTE_CHANGES) return 'too_many_changes';
      await tx
        .update(answerFeedback)
        .set({ vote, changes: sql`${answerFeedback.changes} + 1`, comment: null, updatedAt: Date.now() })
        .where(key);
      return 'changed';
    });
  }

  async comment(teamId: string, turnId: number, userId: string, text: string): Promise<boolean> {
    const kept = text.trim().slice(0, MAX_COMMENT_CHARS);
    const updated = await this.db
      .update(answerFeedback)
      .set({ comment: kept || null })
      .where(
        and(
          eq(answerFeedback.teamId, teamId),
          eq(answerFeedback.turnId, turnId),
          eq(answerFeedback.userId, userId),
          eq(answerFeedback.vote, 'down'),
        ),
      )
      .returning({ turnId: answerFeedback.turnId });
    return updated.length > 0;
  }

  async feedbackCounts(teamId: string, channelId: string, since: number): Promise<FeedbackCounts> {
    const [row] = await this.db
      .select({
        up: sql<number>`(count(*) filter (where ${answerFeedback.vote} = 'up'))::int`,
        down: sql<number>`(count(*) filter (where ${answerFeedback.vote} = 'down'))::int`,
      })
      .from(answerFeedback)
      .where(
        and(
          eq(answerFeedback.teamId, teamId),
          eq(answerFeedback.channelId, channelId),
          gte(answerFeedback.updatedAt, since),
        ),
      );
    return row ?? { up: 0, down: 0 };
  }
}
