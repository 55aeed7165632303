import type { Turn } from '../domain.js';
import { abortReason, errorSummary, JobAbortedError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AnswerSandbox } from '../sandbox/answer-sandbox.js';
import type { ThreadWriter } from '../slack-roles.js';
import type { PostAnswerInput, PostAnswerResults, PostAnswerStep } from './post-answer-step.js';

/**
 * Why this file exists: runs the post-answer steps of an answer exactly once, the way the rest of the
 * turn is made crash-safe (README "Guarantees"): what is stored decides. All of an answer's steps are
 * recorded as pending when the answer is done, each is claimed before it runs and marked done after,
 * and the shared results are stored with each. A job run again after a crash finds the steps left,
 * runs them in order, and tells a step that was cut short mid-way (`resumed`), whose posts are then
 * looked up by their metadata key before anything is posted again.
 */

export type StepState = 'pending' | 'claimed' | 'done';

export interface AnswerStepRow {
  step: string;
  state: StepState;
  results: PostAnswerResults | null;
}

export interface AnswerStepStore {
  /** The task's last assistant turn with content (the answer the steps are about). */
  lastAnswer(teamId: string, taskId: number): Promise<{ turnId: number; content: string } | undefined>;
  /** Records the steps as pending for the turn; steps already recorded are left as they are. */
  openSteps(teamId: string, turnId: number, steps: readonly string[]): Promise<void>;
  /** The turn's step rows in the order they were registered. */
  listSteps(teamId: string, turnId: number): Promise<AnswerStepRow[]>;
  claimStep(teamId: string, turnId: number, step: string): Promise<void>;
  /** Stores the shared results on every row of the turn (any row then holds the latest). */
  saveResults(teamId: string, turnId: number, results: PostAnswerResults): Promise<void>;
  finishStep(teamId: string, turnId: number, step: string, results: PostAnswerResults): Promise<void>;
}

export interface PostAnswerDeps {
  answerSteps: AnswerStepStore;
  slack: ThreadWriter;
  logger: Logger;
  /** Registered in src/core/post-answer/registry.ts; empty when none. */
  postAnswerSteps?: readonly PostAnswerStep[];
  /** The conversation, for steps that ask the model again. */
  store: { listTurns(teamId: string, taskId: number): Promise<Turn[]> };
}

export interface AnsweredTask {
  teamId: string;
  channelId: string;
  threadTs: string;
  id: number;
}

/**
 * Runs what is left of the last answer's steps. `justAnswered`: this job run stored that answer (or
 * finished the record of one a crash left), so its steps are recorded now; otherwise only steps
 * recorded earlier and not done run (a job for an old answer never starts steps for it).
 */
export async function runPostAnswerSteps(
  deps: PostAnswerDeps,
  task: AnsweredTask,
  context: { answerSandbox: AnswerSandbox; signal: AbortSignal | undefined; justAnswered: boolean },
): Promise<void> {
  const steps = deps.postAnswerSteps ?? [];
  if (steps.length === 0) return;
  const store = deps.answerSteps;
  const answer = await store.lastAnswer(task.teamId, task.id);
  if (!answer) return;
  if (context.justAnswered)
    await store.openSteps(
      task.teamId,
      answer.turnId,
      steps.map((s) => s.name),
    );
  const rows = await store.listSteps(task.teamId, answer.turnId);
  if (rows.every((row) => row.state === 'done')) return;
  const results: PostAnswerResults = { ...(rows.find((row) => row.results)?.results ?? {}) };
  const log = deps.logger.child({ teamId: task.teamId, taskId: task.id, turnId: answer.turnId });
  for (const step of steps) {
    const row = rows.find((r) => r.step === step.name);
    // Not recorded for this answer (registered after it was answered), or already done.
    if (!row || row.state === 'done') continue;
    throwIfJobAborted(context.signal);
    await store.claimStep(task.teamId, answer.turnId, step.name);
    const input = await stepInput(deps, task, answer, results, row.state === 'claimed', context);
    try {
      await step.run(input);
    } catch (error) {
      throwIfJobAborted(context.signal);
      // Left claimed: the job is retried and the step resumed (its posts looked up, not repeated).
      log.warn('a post-answer step failed', { step: step.name, error: errorSummary(error) });
      throw error;
    }
    await store.finishStep(task.teamId, answer.turnId, step.name, results);
  }
}

async function stepInput(
  deps: PostAnswerDeps,
  task: AnsweredTask,
  answer: { turnId: number; content: string },
  results: PostAnswerResults,
  resumed: boolean,
  context: { answerSandbox: AnswerSandbox; signal: AbortSignal | undefined },
): Promise<PostAnswerInput> {
  const { slack } = deps;
  return {
    teamId: task.teamId,
    channelId: task.channelId,
    threadTs: task.threadTs,
    taskId: task.id,
    turnId: answer.turnId,
    answerText: answer.content,
    conversation: await deps.store.listTurns(task.teamId, task.id),
    answerSandbox: context.answerSandbox,
    results,
    resumed,
    async postOnce(key, message) {
      const fullKey = answerPostKey(answer.turnId, key);
      const earlier = resumed ? await slack.findPosted(task.channelId, fullKey, task.threadTs) : undefined;
      if (earlier) return earlier;
      return typeof message === 'string'
        ? await slack.postText(task.channelId, message, task.threadTs, fullKey)
        : await slack.postBlocks(task.channelId, message, task.threadTs, fullKey);
    },
    save: async () => await deps.answerSteps.saveResults(task.teamId, answer.turnId, results),
    slack,
    logger: deps.logger.child({ teamId: task.teamId, taskId: task.id, turnId: answer.turnId }),
    signal: context.signal,
  };
}

/** The metadata key of a post a step makes for an answer (unique per answer turn and post). */
export function answerPostKey(turnId: number, key: string): string {
  return `answer-${turnId}-${key}`;
}

/** A lost lease or a shutdown stops the steps (the next run resumes them); a Stop does not. */
function throwIfJobAborted(signal: AbortSignal | undefined): void {
  const aborted = abortReason(signal);
  if (aborted && aborted.kind !== 'stopped') throw new JobAbortedError(aborted);
}
