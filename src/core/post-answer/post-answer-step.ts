import type { BlockCheck } from '../checks/check-blocks.js';
import type { Turn } from '../domain.js';
import type { Logger } from '../logger.js';
import type { AnswerSandbox } from '../sandbox/answer-sandbox.js';
import type { BlockMessage, ThreadWriter } from '../slack-roles.js';

/**
 * Why this file exists: THE SEAM for work that follows a posted answer. Once the answer's final text is
 * in the thread (and stored), the task's job runs an ordered list of post-answer steps: the bot's own
 * check of every code block, its one repair round, file deliverables… Register a step in ONE place,
 * src/core/post-answer/registry.ts (`postAnswerSteps`), and it runs exactly once per answer, across
 * crashes and retries (src/core/post-answer/run-steps.ts keeps the books).
 */

/**
 * What the steps of one answer share. Each step reads what earlier steps left here and adds its own
 * (optional) field; it is stored after every step as JSON, so keep it plain data.
 */
export interface PostAnswerResults {
  /** Set by the block-check step (the first one): one entry per fenced block of the answer. */
  blockChecks?: BlockCheck[];
  /** Set by the repair step: the model's reply to the one repair request ('' when it failed). */
  repairReply?: string;
  /** Set by the repair step: the new checks of the blocks it corrected. */
  repairedBlocks?: BlockCheck[];
}

export interface PostAnswerInput {
  teamId: string;
  channelId: string;
  threadTs: string;
  taskId: number;
  /** The stored assistant turn the answer is; keys for idempotent posts derive from it. */
  turnId: number;
  /** The answer's final text, exactly as stored (and posted). */
  answerText: string;
  /** The conversation up to and including the answer, for a step that asks the model again. */
  conversation: Turn[];
  /**
   * The answer's sandbox session, still open: the tables the agent built with `run_sql` are there (a
   * fresh empty session when the job was resumed after a crash). Closed after the last step.
   */
  answerSandbox: AnswerSandbox;
  /** Shared between the steps of this answer; see PostAnswerResults. */
  results: PostAnswerResults;
  /**
   * True when an earlier run claimed this step and never finished it (a crash, a failed Slack call):
   * anything it may have posted must be looked up (postOnce does) and not repeated.
   */
  resumed: boolean;
  /**
   * Posts a bot-composed mrkdwn message (or blocks) in the answer's thread at most once: `key` names the post
   * within this answer (e.g. "checks"); on a resumed step a post that already landed is found by its
   * Slack metadata key and its ts returned instead of posting again.
   */
  postOnce(key: string, message: string | BlockMessage): Promise<string>;
  /** Stores `results` now: a step with several stages keeps what it reached if it is cut short. */
  save(): void;
  /** Slack, refusing every write once the job is aborted. */
  slack: ThreadWriter;
  logger: Logger;
  /** The job's signal: stop early when it aborts (the step is then resumed by the job's next run). */
  signal: AbortSignal | undefined;
}

export interface PostAnswerStep {
  /** Stored per answer: never rename a registered step (a resumed answer finds its steps by name). */
  readonly name: string;
  run(input: PostAnswerInput): Promise<void>;
}
