/**
 * What a task's use cases are given (the stores, the Slack roles, Claude, the sandbox) and what one
 * answer's tools share. Apart from run-turn.ts, which re-exports them, so the many modules that only
 * need these types do not depend on how a turn runs.
 */

import type { AgentPort } from '../agent-port.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { CollaborationStore } from '../collaboration/collaboration-store.js';
import type { GroundingDeps } from '../data-sources/grounding.js';
import type { Task } from '../domain.js';
import type { SharedFileLimits, SharedFileSource, ThreadFileStore } from '../files/thread-files.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { PeopleDirectory } from '../people.js';
import type { PostAnswerStep } from '../post-answer/post-answer-step.js';
import type { AnswerStepStore } from '../post-answer/run-steps.js';
import type { QualityCheckStore } from '../quality-monitor/check-store.js';
import type { AnswerSandbox } from '../sandbox/answer-sandbox.js';
import type { SqlSandbox } from '../sandbox/sandbox.js';
import type {
  AnswerStreamer,
  ChannelReader,
  ConversationSharingLookup,
  MessageLinks,
  PrivateResponder,
  ThreadWriter,
  UserLookup,
} from '../slack-roles.js';
import type { TaskStore } from './task-store.js';

/** The Slack roles a task's use cases need: write and stream in its thread, read it, reply privately. */
export type TaskSlack = ThreadWriter &
  AnswerStreamer &
  ChannelReader &
  PrivateResponder &
  UserLookup &
  ConversationSharingLookup &
  MessageLinks;

/**
 * The data-source and team-context ports (GroundingDeps) are optional: without them a task is
 * answered exactly as before.
 */
export interface TurnDeps extends GroundingDeps {
  store: TaskStore;
  collaboration: CollaborationStore;
  slack: TaskSlack;
  agent: AgentPort;
  logger: Logger;
  /** Who is in which conversation: a ping goes only where its owner can read it. */
  people: PeopleDirectory;
  /** Most input tokens one model request may carry (MAX_CONTEXT_TOKENS). */
  contextBudgetTokens: number;
  /** The deliverables' memory (the agent's dictionary descriptions, uploads, the design index). */
  artifacts: ArtifactStore;
  /** Checks answers propose for adoption, and the adopted ones (issue 17). */
  qualityChecks: QualityCheckStore;
  /** The SQL sandbox behind `run_sql` and the block checks; absent when SANDBOX_ENABLED=false. */
  sandbox?: SqlSandbox;
  /** The books of the post-answer steps (absent: no steps run). */
  answerSteps?: AnswerStepStore;
  /** What runs after every answer, in order (src/core/post-answer/registry.ts). */
  postAnswerSteps?: readonly PostAnswerStep[];
  /** Files shared in task threads (absent: none are read). */
  threadFiles?: ThreadFileStore;
  /** files.info and the downloads, with the bot token, from Slack's file host only. */
  sharedFiles?: SharedFileSource;
  /** FILES_MAX_MB, FILES_PER_TASK, FILES_TOTAL_MB. */
  fileLimits?: SharedFileLimits;
  /** How answers end, for /metrics (absent: not counted). */
  metrics?: Metrics;
}

/** What one answer's tools share: its sandbox session (opened on the first run_sql). */
export interface AnswerContext {
  answerSandbox: AnswerSandbox;
  /** The thread was read for context before this answer (a mention in someone else's thread). */
  threadRead?: boolean;
  /** The thread's shared files as loaded into this answer's sandbox, for the agent's input ('' or absent: none). */
  filesNote?: string;
}

export type ThreadTask = Task & { threadTs: string };
