import { and, asc, desc, eq, ne } from 'drizzle-orm';
import type { PostAnswerResults } from '../core/post-answer/post-answer-step.js';
import type { AnswerStepRow, AnswerStepStore } from '../core/post-answer/run-steps.js';
import type { Db } from './db.js';
import { answerSteps, turns } from './schema.js';

/** The post-answer steps' books (see answerSteps in schema.ts). Every statement filters by team_id. */
export class SqliteAnswerStepStore implements AnswerStepStore {
  constructor(private readonly db: Db) {}

  async lastAnswer(teamId: string, taskId: number): Promise<{ turnId: number; content: string } | undefined> {
    const row = this.db
      .select({ turnId: turns.id, content: turns.content })
      .from(turns)
      .where(
        and(
          eq(turns.teamId, teamId),
          eq(turns.taskId, taskId),
          eq(turns.role, 'assistant'),
          ne(turns.content, ''),
        ),
      )
      .orderBy(desc(turns.id))
      .get();
    return row;
  }

  async openSteps(teamId: string, turnId: number, steps: readonly string[]): Promise<void> {
    if (steps.length === 0) return;
    this.db
      .insert(answerSteps)
      .values(steps.map((step, position) => ({ teamId, turnId, step, position })))
      .onConflictDoNothing()
      .run();
  }

  async listSteps(teamId: string, turnId: number): Promise<AnswerStepRow[]> {
    return this.db
      .select({ step: answerSteps.step, state: answerSteps.state, results: answerSteps.results })
      .from(answerSteps)
      .where(and(eq(answerSteps.teamId, teamId), eq(answerSteps.turnId, turnId)))
      .orderBy(asc(answerSteps.position))
      .all()
      .map((row) => ({ ...row, results: (row.results as PostAnswerResults | null) ?? null }));
  }

  async claimStep(teamId: string, turnId: number, step: string): Promise<void> {
    this.setState(teamId, turnId, step, 'claimed');
  }

  async saveResults(teamId: string, turnId: number, results: PostAnswerResults): Promise<void> {
    this.writeResults(teamId, turnId, results);
  }

  /** saveResults without the promise, for use inside a transaction (never await inside one). */
  private writeResults(teamId: string, turnId: number, results: PostAnswerResults): void {
    this.db
      .update(answerSteps)
      .set({ results: results as Record<string, unknown>, updatedAt: Date.now() })
      .where(and(eq(answerSteps.teamId, teamId), eq(answerSteps.turnId, turnId)))
      .run();
  }

  async finishStep(teamId: string, turnId: number, step: string, results: PostAnswerResults): Promise<void> {
    this.db.transaction(
      () => {
        this.writeResults(teamId, turnId, results);
        this.setState(teamId, turnId, step, 'done');
      },
      { behavior: 'immediate' },
    );
  }

  private setState(teamId: string, turnId: number, step: string, state: 'claimed' | 'done'): void {
    this.db
      .update(answerSteps)
      .set({ state, updatedAt: Date.now() })
      .where(and(eq(answerSteps.teamId, teamId), eq(answerSteps.turnId, turnId), eq(answerSteps.step, step)))
      .run();
  }
}
