import { fdatasync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { type DataSync, WalSync } from '../../src/store/wal-sync.js';

/** The ack path's commit: without SQLite's fsync, durable only once the WAL is synced off the loop. */
describe('WalSync', () => {
  let dir: string;
  let database: OpenDatabase;
  const held: { fd: number; done: (error: NodeJS.ErrnoException | null) => void }[] = [];
  const holding: DataSync = (fd, done) => {
    held.push({ fd, done });
  };
  const settled = (promise: Promise<void>) => {
    const state = { done: false, error: undefined as unknown };
    promise.then(
      () => {
        state.done = true;
      },
      (error: unknown) => {
        state.done = true;
        state.error = error;
      },
    );
    return state;
  };
  const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'deb-wal-'));
    database = openDatabase(join(dir, 'bot.db'));
    held.length = 0;
  });
  afterEach(() => {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits without its fsync, keeps the connection at FULL, and is durable only after the WAL sync', async () => {
    const { sqlite } = database;
    const wal = WalSync.forConnection(sqlite, holding);
    if (!wal) throw new Error('a file database in WAL mode gets a WalSync');
    const level = () => Number(sqlite.pragma('synchronous', { simple: true }));
    const { value, durable } = wal.commit(() => level());
    expect(value).toBe(1); // NORMAL inside the commit
    expect(level()).toBe(2); // FULL for every other write
    const state = settled(durable);
    await tick();
    expect(held).toHaveLength(1);
    expect(state.done).toBe(false);
    const first = held.shift();
    first?.done(null);
    await tick();
    expect(state).toEqual({ done: true, error: undefined });
  });

  it('shares one sync among the commits made while another is on its way; a failed sync is tried again on the loop', async () => {
    const wal = WalSync.forConnection(database.sqlite, holding);
    if (!wal) throw new Error('no WalSync');
    const first = settled(wal.commit(() => 1).durable);
    const second = settled(wal.commit(() => 2).durable);
    const third = settled(wal.commit(() => 3).durable);
    await tick();
    expect(held).toHaveLength(1); // the first sync; the other two wait for the next one
    held.shift()?.done(null);
    await tick();
    expect([first.done, second.done, third.done]).toEqual([true, false, false]);
    expect(held).toHaveLength(1);
    // The thread pool's sync fails; the same sync, on the loop, succeeds: the commits are durable.
    held.shift()?.done(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await tick();
    expect([second, third]).toEqual([
      { done: true, error: undefined },
      { done: true, error: undefined },
    ]);
  });

  it('stops the process when the disk refuses the sync twice (never tells callers "not saved" about stored rows)', async () => {
    const stops: unknown[] = [];
    const wal = WalSync.forConnection(database.sqlite, holding, (error) => stops.push(error));
    if (!wal) throw new Error('no WalSync');
    const commit = settled(wal.commit(() => 1).durable);
    await tick();
    // The WAL is gone from under the connection: the retry cannot open it.
    rmSync(`${join(dir, 'bot.db')}-wal`);
    held.shift()?.done(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await tick();
    expect(stops).toHaveLength(1);
    expect(commit.done).toBe(true);
    expect(commit.error).toBeDefined();
  });

  it('really syncs the WAL file with fs.fdatasync by default', async () => {
    const wal = WalSync.forConnection(database.sqlite);
    if (!wal) throw new Error('no WalSync');
    await expect(wal.commit(() => undefined).durable).resolves.toBeUndefined();
    expect(typeof fdatasync).toBe('function');
  });

  it('has nothing to sync for an in-memory database', () => {
    const memory = openDatabase(':memory:');
    try {
      expect(WalSync.forConnection(memory.sqlite)).toBeUndefined();
    } finally {
      memory.close();
    }
  });
});
