import type Database from 'better-sqlite3';
import { type DataSync, WalSync } from './wal-sync.js';

interface Pending<I, O> {
  input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

/** Thrown to roll back a batch whose write failed (the write's own error is seen again when it is redone). */
const ROLL_BACK = Symbol('roll back the batch');

/**
 * Group commit: writes submitted in the same turn of the event loop share one SQLite transaction.
 * Under a burst of slash commands this turns hundreds of commits into a few, while every caller
 * still learns that its own row is durable before it acknowledges Slack. The commit's fsync runs off
 * the event loop (src/store/wal-sync.ts): a lone write is committed at once and synced alone; under a
 * burst, the writes committed while one sync is in flight share the next.
 */
export class GroupCommit<I, O> {
  private queue: Pending<I, O>[] = [];
  private scheduled = false;
  private readonly writeOne: (input: I) => O;
  private readonly together: Database.Transaction<(batch: Pending<I, O>[]) => Outcome<O>[]>;
  /** Undefined for an in-memory database: nothing to sync. */
  private readonly wal: WalSync | undefined;

  constructor(
    private readonly sqlite: Database.Database,
    write: (input: I) => O,
    /** How the WAL reaches the disk after a commit (fs.fdatasync; tests hold it). */
    dataSync?: DataSync,
  ) {
    // Nested in the batch's transaction this becomes a savepoint: a failed write leaves nothing behind.
    this.writeOne = sqlite.transaction(write);
    this.together = sqlite.transaction((batch: Pending<I, O>[]) =>
      batch.map((item): Outcome<O> => {
        try {
          return { ok: true, value: write(item.input) };
        } catch {
          // Thrown out of the transaction function, this rolls the whole batch back.
          throw ROLL_BACK;
        }
      }),
    );
    this.wal = WalSync.forConnection(sqlite, dataSync);
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the current I/O phase: every request parsed in it joins this batch.
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    const commit = () => this.commitTogether(batch) ?? this.commitEachApart(batch);
    let outcomes: Outcome<O>[];
    let durable: Promise<void> | undefined;
    try {
      if (this.wal) ({ value: outcomes, durable } = this.wal.commit(commit));
      else outcomes = commit();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const settle = () =>
      batch.forEach((item, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) item.resolve(outcome.value);
        else item.reject(outcome?.error);
      });
    if (!durable) {
      settle();
      return;
    }
    // Stored but not yet known to be on disk: no caller may acknowledge anything before this. A failed
    // sync fails them all (the rows may be there, but nobody is told they are safe).
    durable.then(settle, (error: unknown) => {
      for (const item of batch) item.reject(error);
    });
  }

  /**
   * The usual case: every write succeeds, in one transaction without savepoints (a savepoint makes
   * SQLite journal each page a write touches a second time, about doubling its cost). Undefined when
   * a write failed: the whole transaction is rolled back, to be redone by commitEachApart.
   */
  private commitTogether(batch: Pending<I, O>[]): Outcome<O>[] | undefined {
    try {
      return this.together.immediate(batch);
    } catch (error) {
      if (error === ROLL_BACK) return undefined;
      throw error;
    }
  }

  /** After a failed write: each write in its own savepoint, so one bad write does not sink the others. */
  private commitEachApart(batch: Pending<I, O>[]): Outcome<O>[] {
    const outcomes: Outcome<O>[] = [];
    this.sqlite
      .transaction(() => {
        for (const item of batch) {
          // An error that made SQLite roll back the whole transaction (disk full, I/O): later writes
          // would run on their own, committed and never synced. Stop; the commit below fails them all.
          if (!this.sqlite.inTransaction) break;
          try {
            outcomes.push({ ok: true, value: this.writeOne(item.input) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })
      .immediate();
    return outcomes;
  }
}
