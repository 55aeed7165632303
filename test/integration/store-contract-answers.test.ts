import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FILES_PER_THREAD } from '../../src/core/files/thread-files.js';
import { SqliteAnswerStepStore } from '../../src/store/answer-steps-repo.js';
import { SqliteArtifactStore } from '../../src/store/artifact-repo.js';
import {
  PostgresAnswerStepStore,
  PostgresThreadFileStore,
} from '../../src/store/postgres/answer-files-repos.js';
import { PostgresArtifactStore } from '../../src/store/postgres/artifact-repo.js';
import { SqliteThreadFileStore } from '../../src/store/thread-files-repo.js';
import { execSql, resetStore, STORE_ENGINES, type StoreEngine } from '../support/store-engines.js';

/** Post-answer step books, thread files and deliverables behave the same on SQLite and PostgreSQL. */

function reposOf(engine: StoreEngine) {
  if (engine.dialect === 'sqlite') {
    const { db, sqlite } = engine.database;
    return {
      steps: new SqliteAnswerStepStore(db),
      files: new SqliteThreadFileStore(sqlite),
      artifacts: new SqliteArtifactStore(db),
      exec: (statement: string) => execSql(engine, statement),
    };
  }
  const { db } = engine.database;
  return {
    steps: new PostgresAnswerStepStore(db),
    files: new PostgresThreadFileStore(db),
    artifacts: new PostgresArtifactStore(db),
    exec: (statement: string) => execSql(engine, statement),
  };
}

describe.each(STORE_ENGINES)('answer steps and thread files on %s', (_name, open) => {
  let engine: StoreEngine;
  let repos: ReturnType<typeof reposOf>;
  beforeAll(async () => {
    engine = await open();
    repos = reposOf(engine);
  }, 60_000);
  beforeEach(async () => {
    await resetStore(engine);
    await repos.exec(`insert into tasks (team_id, channel_id, requester_id, source, text, title)
      values ('T1', 'C1', 'U1', 'command', 'x', 'x')`);
    await repos.exec(`insert into turns (team_id, task_id, role, content)
      values ('T1', 1, 'user', 'ask'), ('T1', 1, 'assistant', 'first'), ('T1', 1, 'assistant', '')`);
  });
  afterAll(async () => {
    await engine.close();
  });

  it('steps: opened once in order, claimed, results kept, finished', async () => {
    expect(await repos.steps.lastAnswer('T1', 1)).toEqual({ turnId: 2, content: 'first' });
    expect(await repos.steps.lastAnswer('T2', 1)).toBeUndefined();
    await repos.steps.openSteps('T1', 2, ['checks', 'repair', 'files']);
    await repos.steps.openSteps('T1', 2, ['checks', 'repair', 'files']);
    await repos.steps.claimStep('T1', 2, 'checks');
    await repos.steps.saveResults('T1', 2, { checked: 3 } as never);
    await repos.steps.finishStep('T1', 2, 'checks', { checked: 4 } as never);
    await repos.steps.claimStep('T1', 2, 'repair');
    expect(await repos.steps.listSteps('T1', 2)).toEqual([
      { step: 'checks', state: 'done', results: { checked: 4 } },
      { step: 'repair', state: 'claimed', results: { checked: 4 } },
      { step: 'files', state: 'pending', results: { checked: 4 } },
    ]);
    expect(await repos.steps.listSteps('T2', 2)).toEqual([]);
  });

  it(`files: recorded once, at most ${MAX_FILES_PER_THREAD} a thread even when recorded at once`, async () => {
    const thread = { teamId: 'T1', channelId: 'C1', threadTs: '1.0' };
    const batch = (from: number) =>
      Array.from({ length: 8 }, (_, i) => ({ fileId: `F${from + i}`, messageTs: `${from}.0` }));
    await repos.files.record(thread, [{ fileId: 'F0', messageTs: '0.0', name: 'orders.csv' }]);
    await repos.files.record(thread, [{ fileId: 'F0', messageTs: '0.0' }]);
    await Promise.all([
      repos.files.record(thread, batch(10)),
      repos.files.record(thread, batch(20)),
      repos.files.record(thread, batch(30)),
    ]);
    const listed = await repos.files.list(thread);
    expect(listed).toHaveLength(MAX_FILES_PER_THREAD);
    expect(listed[0]).toMatchObject({ fileId: 'F0', name: 'orders.csv', status: 'new', replyState: null });
    const first = listed[0]?.id ?? 0;
    await repos.files.update('T1', first, { tableName: 'file_orders', status: 'read' });
    await repos.files.update('T1', first, { detail: '3 rows × 2 columns' });
    await repos.files.update('T2', first, { status: 'refused' });
    await repos.files.setReplyState('T1', first, 'done');
    expect((await repos.files.list(thread))[0]).toMatchObject({
      name: 'orders.csv',
      tableName: 'file_orders',
      status: 'read',
      detail: '3 rows × 2 columns',
      replyState: 'done',
    });
    expect(await repos.files.list({ ...thread, teamId: 'T2' })).toEqual([]);
  });

  it('deliverables: dictionaries merge (writes at once lose nothing), an upload is claimed once, designs list', async () => {
    const table = (name: string) => ({ table: name, description: `${name} table`, columns: [] });
    await Promise.all(
      ['orders', 'customers', 'payments'].map((name) =>
        repos.artifacts.saveDictionaryInput('T1', 1, { tables: [table(name)] } as never),
      ),
    );
    const merged = await repos.artifacts.dictionaryInput('T1', 1);
    expect(merged?.tables.map((t) => t.table).sort()).toEqual(['customers', 'orders', 'payments']);
    expect(await repos.artifacts.dictionaryInput('T2', 1)).toBeUndefined();

    const upload = { taskId: 1, turnId: 2, kind: 'code' as const, title: 'orders.sql' };
    const claims = await Promise.all([1, 2, 3].map(() => repos.artifacts.claimUpload('T1', upload)));
    expect(claims.filter((claim) => claim.created)).toHaveLength(1);
    const id = claims[0]?.upload.id ?? 0;
    await repos.artifacts.markUploaded('T1', id, 'F123');
    expect(await repos.artifacts.uploadsOf('T1', 1, 'code')).toEqual([
      expect.objectContaining({ title: 'orders.sql', fileId: 'F123', state: 'uploaded' }),
    ]);
    await repos.artifacts.markDeleted('T1', id);
    expect((await repos.artifacts.uploadsOf('T1', 1, 'code'))[0]?.state).toBe('deleted');

    const design = {
      teamId: 'T1',
      channelId: 'C1',
      taskId: 1,
      title: 'Orders',
      requesterId: 'U1',
      threadTs: '1.0',
    };
    await repos.artifacts.recordDesign({ ...design, files: ['a.sql'] });
    await repos.artifacts.recordDesign({ ...design, title: 'Orders v2', files: ['b.png', 'a.sql'] });
    const listed = await repos.artifacts.listDesigns('T1', 'C1', { limit: 10, offset: 0 });
    expect(listed.total).toBe(1);
    expect(listed.designs[0]).toMatchObject({ title: 'Orders v2', files: ['a.sql', 'b.png'] });
    expect((await repos.artifacts.listDesigns('T2', 'C1', { limit: 10, offset: 0 })).total).toBe(0);
  });
});
