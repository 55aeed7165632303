import { close, fdatasync, open } from 'node:fs';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';

/**
 * A commit that is durable without stopping the event loop for the disk. With `synchronous = FULL`,
 * SQLite ends every commit in WAL mode with an fsync of the WAL file, and better-sqlite3 runs it on the
 * main thread: every request in the process waits for the disk (0.2 ms on an idle SSD, 3–7 ms measured
 * here while other processes write). On the ack path the commit runs with `synchronous = NORMAL`
 * instead (the same transaction, without its fsync), and the WAL file is fdatasync'ed afterwards on
 * libuv's thread pool; only once that returns is the write reported durable, so nothing is
 * acknowledged before it would survive a power loss, exactly as with FULL. The connection stays at
 * FULL for every other write.
 *
 * Why this is as safe as FULL: in WAL mode a commit is durable once the WAL frames up to its commit
 * frame are on disk, which is all FULL's fsync does; fdatasync flushes the file's data (whichever
 * descriptor it is called on), including everything written before the call. SQLite guarantees the
 * database stays consistent in NORMAL mode whatever is lost, so a power loss before the sync can only
 * lose commits nobody has been told about. Syncs are shared: one in flight serves every commit that
 * ended before it started, and commits during it wait for the next one (group commit for the disk).
 */
export class WalSync {
  private readonly normal: Database.Statement;
  private readonly full: Database.Statement;
  private syncing = false;
  private waiting: { resolve(): void; reject(error: unknown): void }[] = [];

  private constructor(
    sqlite: Database.Database,
    private readonly walPath: string,
  ) {
    this.normal = sqlite.prepare('PRAGMA synchronous = NORMAL');
    this.full = sqlite.prepare('PRAGMA synchronous = FULL');
  }

  /** For a file database in WAL mode at `synchronous = FULL`; undefined otherwise (nothing to defer). */
  static forConnection(sqlite: Database.Database): WalSync | undefined {
    if (sqlite.memory || sqlite.readonly) return undefined;
    if (String(sqlite.pragma('journal_mode', { simple: true })) !== 'wal') return undefined;
    if (Number(sqlite.pragma('synchronous', { simple: true })) < 2) return undefined;
    return new WalSync(sqlite, `${resolve(sqlite.name)}-wal`);
  }

  /** Runs `transaction` without its fsync; `durable` resolves once its commit is on disk. */
  commit<T>(transaction: () => T): { value: T; durable: Promise<void> } {
    this.normal.run();
    let value: T;
    try {
      value = transaction();
    } finally {
      this.full.run();
    }
    return { value, durable: this.sync() };
  }

  /** Resolves once everything written to the WAL before this call is on disk. */
  private sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.syncing) this.startSync();
    });
  }

  private startSync(): void {
    const group = this.waiting;
    this.waiting = [];
    this.syncing = true;
    syncFile(this.walPath, (error) => {
      this.syncing = false;
      for (const waiter of group) {
        if (error) waiter.reject(error);
        else waiter.resolve();
      }
      if (this.waiting.length > 0) this.startSync();
    });
  }
}

/**
 * fdatasync on a descriptor of its own, opened and closed around the call: no descriptor outlives the
 * connection, and the file synced is the WAL as it is now. `r+`: Windows flushes only a writable handle.
 */
function syncFile(path: string, done: (error: NodeJS.ErrnoException | null) => void): void {
  open(path, 'r+', (openError, fd) => {
    if (openError) return done(openError);
    fdatasync(fd, (syncError) => {
      close(fd, (closeError) => done(syncError ?? closeError));
    });
  });
}
