import { describe, expect, it } from 'vitest';
import { answerFiles, loadThreadFiles } from '../../src/core/files/load-thread-files.js';
import type { FileLoadOutcome } from '../../src/core/files/loaded-file.js';
import {
  DEFAULT_SHARED_FILE_LIMITS,
  type ThreadFileRow,
  type ThreadFileStore,
  type ThreadRef,
} from '../../src/core/files/thread-files.js';
import type { AnswerSandbox } from '../../src/core/sandbox/answer-sandbox.js';
import { quietLogger } from '../support/quiet-logger.js';

/**
 * The files use case with stand-in ports: a load outcome marked transient (the sandbox stopped over
 * another file of the batch) decides nothing: the file stays `new`, nothing is posted about it, and the
 * next answer loads it.
 */

const THREAD: ThreadRef = { teamId: 'T1', channelId: 'C1', threadTs: '1.0' };

function memoryStore(): ThreadFileStore & { rows: ThreadFileRow[] } {
  const rows: ThreadFileRow[] = [];
  return {
    rows,
    async record(_thread, files) {
      for (const f of files)
        rows.push({
          id: rows.length + 1,
          fileId: f.fileId,
          messageTs: f.messageTs,
          name: f.name ?? null,
          tableName: null,
          status: 'new',
          detail: null,
          replyState: null,
        });
    },
    list: async () => rows.map((r) => ({ ...r })),
    async update(_team, id, fields) {
      const row = rows.find((r) => r.id === id);
      if (!row) return;
      if (fields.name) row.name = fields.name;
      if (fields.tableName) row.tableName = fields.tableName;
      if (fields.status) row.status = fields.status;
      if (fields.detail) row.detail = fields.detail;
    },
    async setReplyState(_team, id, state) {
      const row = rows.find((r) => r.id === id);
      if (row) row.replyState = state;
    },
  };
}

describe('shared files: transient load outcomes', () => {
  it('a file the sandbox could not judge stays new and untold, and is loaded by the next answer', async () => {
    const store = memoryStore();
    await store.record(THREAD, [
      { fileId: 'F1', messageTs: '2.0', name: 'evil.json' },
      { fileId: 'F2', messageTs: '2.0', name: 'good.csv' },
    ]);
    const posts: string[] = [];
    let outcomes: FileLoadOutcome[] = [
      { ok: false, reason: 'not loaded: the sandbox stopped while loading it (killed)' },
      { ok: false, reason: 'not loaded now: the sandbox was restarted', transient: true },
    ];
    const sandbox: AnswerSandbox = {
      session: async () => ({
        run: async () => ({ statements: [], notRun: 0, elapsedMs: 0 }),
        loadFiles: async () => outcomes,
        close: async () => undefined,
      }),
      close: async () => undefined,
    };
    const deps = {
      threadFiles: store,
      sharedFiles: {
        info: async (id: string) => ({
          ok: true as const,
          file: {
            id,
            name: id === 'F1' ? 'evil.json' : 'good.csv',
            size: 10,
            sharedIn: ['C1'],
            downloadUrl: 'x',
          },
        }),
        open: async () => (async function* () {})(),
      },
      fileLimits: DEFAULT_SHARED_FILE_LIMITS,
      slack: {
        postText: async (_c: string, text: string) => {
          posts.push(text);
          return 'ts';
        },
        findPosted: async () => undefined,
      },
      logger: quietLogger,
      sandboxOn: true,
    };
    const note = await loadThreadFiles(deps, THREAD, sandbox, answerFiles());
    expect(store.rows.map((r) => r.status)).toEqual(['refused', 'new']);
    expect(posts.join('\n')).toContain('evil.json');
    expect(posts.join('\n')).not.toContain('good.csv');
    expect(note).toContain('good.csv: not read, not loaded now');

    outcomes = [{ ok: true, format: 'csv', table: 'good_csv', rows: 1, columns: [], bytes: 10 }];
    await loadThreadFiles(deps, THREAD, sandbox, answerFiles());
    expect(store.rows.map((r) => r.status)).toEqual(['refused', 'read']);
    expect(posts.filter((p) => p.includes('good.csv'))).toHaveLength(1);
  });

  it('a refusal reason is masked before it is stored, posted or given to the model (a second wall)', async () => {
    const store = memoryStore();
    await store.record(THREAD, [{ fileId: 'F1', messageTs: '2.0', name: 'cards.json' }]);
    const posts: string[] = [];
    const hostile = 'not valid JSON: "<!channel> card 4111 1111 1111 1111, mail ana@example.com"';
    const sandbox: AnswerSandbox = {
      session: async () => ({
        run: async () => ({ statements: [], notRun: 0, elapsedMs: 0 }),
        loadFiles: async () => [{ ok: false, reason: hostile }],
        close: async () => undefined,
      }),
      close: async () => undefined,
    };
    const note = await loadThreadFiles(
      {
        threadFiles: store,
        sharedFiles: {
          info: async (id: string) => ({
            ok: true as const,
            file: { id, name: 'cards.json', size: 10, sharedIn: ['C1'], downloadUrl: 'x' },
          }),
          open: async () => (async function* () {})(),
        },
        fileLimits: DEFAULT_SHARED_FILE_LIMITS,
        slack: {
          postText: async (_c: string, text: string) => {
            posts.push(text);
            return 'ts';
          },
          findPosted: async () => undefined,
        },
        logger: quietLogger,
        sandboxOn: true,
      },
      THREAD,
      sandbox,
      answerFiles(),
    );
    for (const text of [note, posts.join('\n'), store.rows[0]?.detail ?? '']) {
      expect(text).not.toContain('4111 1111');
      expect(text).not.toContain('ana@example.com');
    }
    expect(posts.join('\n')).not.toMatch(/<!channel>|[<>]/);
    expect(note).toContain('<card ****1111>');
  });
});
