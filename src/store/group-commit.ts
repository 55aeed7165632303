import type Database from 'better-sqlite3';

interface Pending<I, O> {
  input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit: writes submitted in the same turn of the event loop share one SQLite transaction.
 * Under a burst of slash commands this turns hundreds of commits into a few, while every caller
 * still learns that its own row is durable before it acknowledges Slack.
 */
export class GroupCommit<I, O> {
  private queue: Pending<I, O>[] = [];
  private scheduled = false;
  private readonly writeOne: (input: I) => O;

  constructor(
    private readonly sqlite: Database.Database,
    write: (input: I) => O,
  ) {
    // Nested in the batch's transaction this becomes a savepoint: a failed write leaves nothing behind.
    this.writeOne = sqlite.transaction(write);
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
    const outcomes: ({ ok: true; value: O } | { ok: false; error: unknown })[] = [];
    try {
      this.sqlite
        .transaction(() => {
          for (const item of batch) {
            // One bad write must not sink the others.
            try {
              outcomes.push({ ok: true, value: this.writeOne(item.input) });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome?.error);
    });
  }
}
