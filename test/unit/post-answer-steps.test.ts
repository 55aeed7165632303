import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PostAnswerInput, PostAnswerStep } from '../../src/core/post-answer/post-answer-step.js';
import { runPostAnswerSteps } from '../../src/core/post-answer/run-steps.js';
import { answerSandbox, SANDBOX_OFF } from '../../src/core/sandbox/answer-sandbox.js';
import type { ThreadWriter } from '../../src/core/slack-roles.js';
import { SqliteAnswerStepStore } from '../../src/store/answer-steps-repo.js';
import { type OpenDatabase, openDatabase } from '../../src/store/db.js';
import { SqliteJobQueue } from '../../src/store/job-repo.js';
import { SqliteTaskAdmission } from '../../src/store/task-admission.js';
import { SqliteTaskStore } from '../../src/store/task-repo.js';
import { quietLogger } from '../support/quiet-logger.js';

/**
 * The seam's books with the real SQLite store: every step of an answer runs once, in order; a step cut
 * short is resumed (told so, its posts looked up by metadata key, not repeated); later steps see what
 * earlier ones stored even after a crash; a job for an old answer starts nothing.
 */

describe('runPostAnswerSteps', () => {
  let database: OpenDatabase;
  let store: SqliteTaskStore;
  let steps: SqliteAnswerStepStore;
  let posted: { text: string; key?: string }[];
  let lookedUp: string[];
  const slack = {
    postText: async (_c: string, text: string, _t?: string, key?: string) => {
      posted.push({ text, ...(key ? { key } : {}) });
      return `1.${posted.length}`;
    },
    findPosted: async (_c: string, key: string) => {
      lookedUp.push(key);
      return posted.some((p) => p.key === key) ? '1.found' : undefined;
    },
  } as unknown as ThreadWriter;

  beforeEach(() => {
    database = openDatabase(':memory:');
    store = new SqliteTaskStore(database.db, database.sqlite);
    steps = new SqliteAnswerStepStore(database.db);
    posted = [];
    lookedUp = [];
  });
  afterEach(() => database.close());

  async function answeredTask() {
    const admission = new SqliteTaskAdmission(
      database.db,
      database.sqlite,
      new SqliteJobQueue(database.sqlite),
      store,
    );
    const { task } = await admission.createTask(
      {
        teamId: 'T1',
        channelId: 'C1',
        requesterId: 'U1',
        source: 'command',
        text: 'x',
        title: 'x',
        threadTs: '100.1',
        firstTurn: { content: 'design a pipeline' },
      },
      { deliveryId: `d-${Math.random()}` },
    );
    const turn = await store.beginAssistantTurn('T1', task.id);
    await store.finishAssistantTurn('T1', turn.id, 'the answer ```sql\nselect 1\n```', {
      inputTokens: 1,
      outputTokens: 1,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    return { teamId: 'T1', channelId: 'C1', threadTs: '100.1', id: task.id };
  }

  const run = (
    task: Awaited<ReturnType<typeof answeredTask>>,
    list: PostAnswerStep[],
    justAnswered: boolean,
  ) =>
    runPostAnswerSteps(
      { answerSteps: steps, slack, logger: quietLogger, postAnswerSteps: list, store },
      task,
      {
        answerSandbox: answerSandbox(SANDBOX_OFF),
        signal: undefined,
        justAnswered,
      },
    );

  it('runs each step once, in order, with the answer; a later job for the same answer runs none', async () => {
    const task = await answeredTask();
    const seen: string[] = [];
    const list: PostAnswerStep[] = [
      {
        name: 'first',
        async run(input) {
          seen.push(`first:${input.answerText.slice(0, 10)}:${input.resumed}`);
          input.results.blockChecks = [];
          await input.postOnce('checks', 'checked');
        },
      },
      {
        name: 'second',
        async run(input) {
          seen.push(`second:${JSON.stringify(input.results.blockChecks)}`);
        },
      },
    ];
    await run(task, list, true);
    await run(task, list, true);
    await run(task, list, false);
    expect(seen).toEqual(['first:the answer:false', 'second:[]']);
    expect(posted).toEqual([{ text: 'checked', key: expect.stringMatching(/^answer-\d+-checks$/) }]);
  });

  it('a step cut short is resumed once: its post found by key, not repeated; results of earlier steps kept', async () => {
    const task = await answeredTask();
    let crash = true;
    const calls: string[] = [];
    const list: PostAnswerStep[] = [
      {
        name: 'checks',
        async run(input: PostAnswerInput) {
          calls.push('checks');
          input.results.repairReply = 'stored';
        },
      },
      {
        name: 'post',
        async run(input: PostAnswerInput) {
          calls.push(`post:${input.resumed}:${input.results.repairReply}`);
          await input.postOnce('reply', 'one reply');
          if (crash) {
            crash = false;
            throw new Error('the process died here');
          }
        },
      },
    ];
    await expect(run(task, list, true)).rejects.toThrow('the process died here');
    // The job's next run: the task is done and the answer stored, so it does not count as just answered.
    await run(task, list, false);
    await run(task, list, false);
    expect(calls).toEqual(['checks', 'post:false:stored', 'post:true:stored']);
    expect(posted.map((p) => p.text)).toEqual(['one reply']);
    expect(lookedUp).toHaveLength(1);
  });

  it('a job for an answer that never had steps recorded starts none (e.g. an owner assigned later)', async () => {
    const task = await answeredTask();
    let ran = 0;
    await run(task, [{ name: 'x', run: async () => void ran++ }], false);
    expect(ran).toBe(0);
  });
});
