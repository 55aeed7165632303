import { and, asc, count, desc, eq, ne } from 'drizzle-orm';
import type { ThreadFileStore } from '../../core/files/thread-files.js';
import {
  MAX_FILES_PER_THREAD,
  type ThreadFileRow,
  type ThreadFileStatus,
  type ThreadRef,
} from '../../core/files/thread-files.js';
import type { PostAnswerResults } from '../../core/post-answer/post-answer-step.js';
import type { AnswerStepRow, AnswerStepStore } from '../../core/post-answer/run-steps.js';
import type { PgDb } from './db.js';
import { lockForTransaction, type PgTx } from './locks.js';
import { answerSteps, threadFiles, turns } from './schema.js';

/** The post-answer steps' books on PostgreSQL (see answerSteps in ../schema.ts). Filtered by team. */
export class PostgresAnswerStepStore implements AnswerStepStore {
  constructor(private readonly db: PgDb) {}

  async lastAnswer(teamId: string, taskId: number): Promise<{ turnId: number; content: string } | undefined> {
    const [row] = await this.db
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
      .limit(1);
    return row;
  }

  async openSteps(teamId: string, turnId: number, steps: readonly string[]): Promise<void> {
    if (steps.length === 0) return;
    await this.db
      .insert(answerSteps)
      .values(steps.map((step, position) => ({ teamId, turnId, step, position })))
      .onConflictDoNothing();
  }

  async listSteps(teamId: string, turnId: number): Promise<AnswerStepRow[]> {
    const rows = await this.db
      .select({ step: answerSteps.step, state: answerSteps.state, results: answerSteps.results })
      .from(answerSteps)
      .where(and(eq(answerSteps.teamId, teamId), eq(answerSteps.turnId, turnId)))
      .orderBy(asc(answerSteps.position));
    return rows.map((row) => ({ ...row, results: (row.results as PostAnswerResults | null) ?? null }));
  }

  claimStep(teamId: string, turnId: number, step: string): Promise<void> {
    return this.setState(this.db, teamId, turnId, step, 'claimed');
  }

  saveResults(teamId: string, turnId: number, results: PostAnswerResults): Promise<void> {
    return this.writeResults(this.db, teamId, turnId, results);
  }

  finishStep(teamId: string, turnId: number, step: string, results: PostAnswerResults): Promise<void> {
    return this.db.transaction(async (tx) => {
      await this.writeResults(tx, teamId, turnId, results);
      await this.setState(tx, teamId, turnId, step, 'done');
    });
  }

  private async writeResults(db: PgDb | PgTx, teamId: string, turnId: number, results: PostAnswerResults) {
    await db
      .update(answerSteps)
      .set({ results: results as Record<string, unknown>, updatedAt: Date.now() })
      .where(and(eq(answerSteps.teamId, teamId), eq(answerSteps.turnId, turnId)));
  }

  private async setState(
    db: PgDb | PgTx,
    teamId: string,
    turnId: number,
    step: string,
    state: 'claimed' | 'done',
  ) {
    await db
      .update(answerSteps)
      .set({ state, updatedAt: Date.now() })
      .where(and(eq(answerSteps.teamId, teamId), eq(answerSteps.turnId, turnId), eq(answerSteps.step, step)));
  }
}

/** Files shared in task threads on PostgreSQL, every statement scoped by team. */
export class PostgresThreadFileStore implements ThreadFileStore {
  constructor(private readonly db: PgDb) {}

  /**
   * At most MAX_FILES_PER_THREAD per thread, counted under a lock on the thread (two messages with
   * files arriving at once on two instances must not both see room for the last file).
   */
  record(
    thread: ThreadRef,
    files: readonly { fileId: string; messageTs: string; name?: string }[],
  ): Promise<void> {
    return this.db.transaction(async (tx) => {
      await lockForTransaction(tx, `thread_files:${thread.teamId}:${thread.channelId}:${thread.threadTs}`);
      const [counted] = await tx.select({ n: count() }).from(threadFiles).where(this.inThread(thread));
      let room = MAX_FILES_PER_THREAD - (counted?.n ?? 0);
      for (const file of files) {
        if (room <= 0) break;
        const inserted = await tx
          .insert(threadFiles)
          .values({ ...thread, ...file, name: file.name ?? null })
          .onConflictDoNothing()
          .returning({ id: threadFiles.id });
        room -= inserted.length;
      }
    });
  }

  list(thread: ThreadRef): Promise<ThreadFileRow[]> {
    return this.db
      .select({
        id: threadFiles.id,
        fileId: threadFiles.fileId,
        messageTs: threadFiles.messageTs,
        name: threadFiles.name,
        tableName: threadFiles.tableName,
        status: threadFiles.status,
        detail: threadFiles.detail,
        replyState: threadFiles.replyState,
      })
      .from(threadFiles)
      .where(this.inThread(thread))
      .orderBy(asc(threadFiles.id));
  }

  async update(
    teamId: string,
    id: number,
    fields: { name?: string; tableName?: string; status?: ThreadFileStatus; detail?: string },
  ): Promise<void> {
    // Only the fields given change (SQLite's repo: coalesce).
    const set = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    if (Object.keys(set).length === 0) return;
    await this.db
      .update(threadFiles)
      .set(set)
      .where(and(eq(threadFiles.teamId, teamId), eq(threadFiles.id, id)));
  }

  async setReplyState(teamId: string, id: number, state: 'claimed' | 'done'): Promise<void> {
    await this.db
      .update(threadFiles)
      .set({ replyState: state })
      .where(and(eq(threadFiles.teamId, teamId), eq(threadFiles.id, id)));
  }

  private inThread(thread: ThreadRef) {
    return and(
      eq(threadFiles.teamId, thread.teamId),
      eq(threadFiles.channelId, thread.channelId),
      eq(threadFiles.threadTs, thread.threadTs),
    );
  }
}
