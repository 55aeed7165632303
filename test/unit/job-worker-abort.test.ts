import { afterEach, describe, expect, it } from 'vitest';
import type { AbortReason } from '../../src/core/errors.js';
import { JobWorker } from '../../src/core/jobs/job-worker.js';
import { createLogger } from '../../src/logger.js';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteJobQueue } from '../../src/store/job-repo.js';
import { SqliteTaskAdmission } from '../../src/store/task-admission.js';
import { SqliteTaskStore } from '../../src/store/task-repo.js';
import { MENTION_TASK } from '../support/sample-task.js';
import { until } from '../support/wait.js';

/** A queue whose lease renewals fail (e.g. the database stays locked by another process). */
class UnrenewableQueue extends SqliteJobQueue {
  override async renew(): Promise<boolean> {
    throw new Error('database is locked');
  }
}

describe('a job whose lease cannot be renewed', () => {
  let database: OpenDatabase;
  let worker: JobWorker | undefined;
  afterEach(async () => {
    worker?.stop();
    await worker?.close();
    database.close();
  });

  it('is aborted before its lease runs out, so no second worker can take it while it still writes', async () => {
    database = openDatabase(':memory:');
    const queue = new UnrenewableQueue(database.sqlite);
    const store = new SqliteTaskStore(database.db, database.sqlite);
    const admission = new SqliteTaskAdmission(database.db, database.sqlite, queue, store);
    await admission.createTask(MENTION_TASK, { deliveryId: 'd1' });
    let aborted: { reason: AbortReason; leaseLeftMs: number } | undefined;
    const leaseMs = 3_000;
    worker = new JobWorker(
      queue,
      (_job, signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            const row = database.sqlite.prepare('select lease_expires_at as at from jobs').get() as {
              at: number;
            };
            aborted = { reason: signal.reason as AbortReason, leaseLeftMs: row.at - Date.now() };
            resolve();
          });
        }),
      {
        concurrency: 1,
        leaseMs,
        pollMs: 1_000,
        logger: createLogger({ level: 'error', secrets: [], sink: () => {} }),
      },
    );
    await worker.start();
    await until(() => aborted !== undefined, 10_000);
    expect(aborted?.reason).toEqual({ kind: 'lease_lost' });
    // Still inside its own lease when it stopped: nobody else could have claimed the job yet.
    expect(aborted?.leaseLeftMs).toBeGreaterThan(0);
  });
});
