import { close, closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';

/** fs.fdatasync's shape: tests pass one that holds the sync until they release it. */
export type DataSync = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

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
  private syncing = false;
  private waiting: { resolve(): void; reject(error: unknown): void }[] = [];
  /** The WAL, open while syncs keep coming (one thread-pool call per sync instead of three). */
  private fd: number | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly sqlite: Database.Database,
    private readonly walPath: string,
    private readonly dataSync: DataSync,
    private readonly onSyncFailure: (error: unknown) => void,
  ) {}

  /** For a file database in WAL mode at `synchronous = FULL`; undefined otherwise (nothing to defer). */
  static forConnection(
    sqlite: Database.Database,
    dataSync: DataSync = fdatasync,
    onSyncFailure: (error: unknown) => void = stopOnSyncFailure,
  ): WalSync | undefined {
    if (sqlite.memory || sqlite.readonly) return undefined;
    if (String(sqlite.pragma('journal_mode', { simple: true })) !== 'wal') return undefined;
    if (Number(sqlite.pragma('synchronous', { simple: true })) < 2) return undefined;
    return new WalSync(sqlite, `${resolve(sqlite.name)}-wal`, dataSync, onSyncFailure);
  }

  /** Runs `transaction` without its fsync; `durable` resolves once its commit is on disk. */
  commit<T>(transaction: () => T): { value: T; durable: Promise<void> } {
    // exec, not a statement prepared once: SQLite applies this pragma when it compiles it.
    this.sqlite.exec('PRAGMA synchronous = NORMAL');
    let value: T;
    try {
      value = transaction();
    } finally {
      this.sqlite.exec('PRAGMA synchronous = FULL');
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
    clearTimeout(this.idleTimer);
    const finish = (error: unknown) => {
      for (const waiter of group) {
        if (error) waiter.reject(error);
        else waiter.resolve();
      }
      if (this.waiting.length > 0) this.startSync();
      else this.idleTimer = setTimeout(() => this.closeFile(), IDLE_CLOSE_MS).unref();
    };
    let fd: number;
    try {
      // Opened here, on the loop, only after an idle pause: a few microseconds.
      this.fd ??= openSync(this.walPath, 'r+');
      fd = this.fd;
    } catch (error) {
      this.syncing = false;
      finish(error);
      return;
    }
    this.dataSync(fd, (error) => {
      this.syncing = false;
      if (!error) {
        finish(null);
        return;
      }
      // A failed sync may leave the descriptor unusable: the next one opens the file again.
      this.closeFile();
      // The batch is committed and visible: rejecting its callers would tell people "not saved" about
      // tasks the worker then runs. So the sync is tried once more, on a fresh descriptor, on the loop;
      // if the disk refuses that too, durability is unknown and the process stops (as PostgreSQL does on
      // a failed fsync) rather than acknowledge, or deny, what it cannot know.
      try {
        const again = openSync(this.walPath, 'r+');
        try {
          fdatasyncSync(again);
        } finally {
          closeSync(again);
        }
        finish(null);
      } catch (retryError) {
        this.onSyncFailure(retryError);
        finish(retryError);
      }
    });
  }

  /** Closes the WAL descriptor while no sync uses it (so none outlives a closed database for long). */
  private closeFile(): void {
    if (this.fd === undefined || this.syncing) return;
    const fd = this.fd;
    this.fd = undefined;
    close(fd, () => undefined);
  }
}

/**
 * How long the WAL stays open after the last sync. Short enough that a stopped app's database leaves
 * no descriptor behind for long, and that the file synced is the WAL as it is now (SQLite deletes it
 * when its last connection closes); long enough to span a burst.
 */
const IDLE_CLOSE_MS = 2_000;

/** The disk refused a sync twice: stop, so a supervisor restarts the bot on what is really on disk. */
function stopOnSyncFailure(error: unknown): void {
  process.stderr.write(
    `fatal: the database's write-ahead log could not be synced to disk (${String(error)})\n`,
  );
  process.exit(70);
}
