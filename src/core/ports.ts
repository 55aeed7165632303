import type { DeliveryKey, Task, Turn, Usage } from './model.js';

/**
 * The use cases talk to the outside world only through these ports; `src/app.ts` plugs in the real
 * SQLite store, Slack gateway and Claude agent, so the core never imports an SDK.
 */

export interface NewTask {
  teamId: string;
  channelId: string;
  requesterId: string;
  source: Task['source'];
  text: string;
  title: string;
  threadTs?: string;
}

export interface TaskStore {
  /** Inserts the task and records the delivery in one transaction; a repeated delivery returns the first task. */
  createTask(task: NewTask, delivery: DeliveryKey): Promise<{ task: Task; created: boolean }>;
  getTask(teamId: string, taskId: number): Task | undefined;
  /** The task whose conversation lives in this thread, if the bot owns it. */
  findTaskByThread(teamId: string, channelId: string, threadTs: string): Task | undefined;
  /**
   * Stores a human reply in a task's thread as a user turn, once per delivery (event id, and channel +
   * message ts). Returns false when this delivery was handled before.
   */
  recordFollowUp(
    teamId: string,
    taskId: number,
    delivery: DeliveryKey,
    turn: { content: string; userId: string; slackTs: string },
  ): boolean;
  setThread(teamId: string, taskId: number, threadTs: string): void;
  markRunning(teamId: string, taskId: number, model: string): void;
  setAnswerTs(teamId: string, taskId: number, answerTs: string): void;
  markContextTrimmed(teamId: string, taskId: number): void;
  completeTask(teamId: string, taskId: number, usage: Usage, costUsd: number): void;
  failTask(teamId: string, taskId: number, reason: string, usage: Usage, costUsd: number): void;
  /** The agent asked questions: the task waits for a human reply in its thread. */
  markWaiting(teamId: string, taskId: number, usage: Usage, costUsd: number): void;
  addTurn(
    teamId: string,
    taskId: number,
    turn: Turn & { userId?: string; slackTs?: string; usage?: Usage },
  ): void;
  /**
   * Reserves the assistant turn's place in the conversation before the model is called, so replies
   * that arrive while it answers come after it (the model had not seen them).
   */
  beginAssistantTurn(teamId: string, taskId: number): number;
  finishAssistantTurn(teamId: string, turnId: number, content: string, usage: Usage, slackTs?: string): void;
  discardTurn(teamId: string, turnId: number): void;
  /** The conversation so far, without reserved turns that have no content yet. */
  listTurns(teamId: string, taskId: number): Turn[];
}

/** Where a threaded answer goes. */
export interface ThreadTarget {
  teamId: string;
  channelId: string;
  threadTs: string;
  /** The person the answer is for: Slack's streaming API needs them in channels. */
  recipientUserId: string;
}

/**
 * One Slack message being written progressively. `append` never blocks on Slack: the gateway
 * batches text and writes at most once a second; `finish` writes the rest and resolves with the ts.
 */
export interface MessageStream {
  append(markdown: string): void;
  finish(): Promise<string>;
}

export interface ThreadMessage {
  ts: string;
  userId?: string;
  isBot: boolean;
  text: string;
}

export interface SlackPort {
  /** Posts a short mrkdwn message (never model output). Throws SlackError on failure. */
  postText(channelId: string, text: string, threadTs?: string): Promise<string>;
  /**
   * Opens a message in a thread: a new streamed message, or — when `existingTs` is given — a rewrite of
   * a message we posted before (used when an answer has to be written again). Nothing is written
   * before `after` settles, which keeps multi-message answers in order.
   */
  openMessage(
    target: ThreadTarget,
    events: { onTs(ts: string): void },
    options?: { existingTs?: string | undefined; after?: Promise<unknown> },
  ): MessageStream;
  deleteMessage(channelId: string, ts: string): Promise<void>;
  /** The messages of a thread, oldest first (used once, for context when mentioned in a foreign thread). */
  readThread(channelId: string, threadTs: string): Promise<ThreadMessage[]>;
  /** A short private note to one person in a conversation; best effort. */
  postEphemeral(channelId: string, userId: string, text: string, threadTs?: string): Promise<void>;
  /** "is thinking…" under the thread; best effort, never throws. */
  setStatus(channelId: string, threadTs: string, status: string): Promise<void>;
}

/** What the model produced for one turn. */
export interface AgentResult {
  text: string;
  /** The agent asked these before answering (its ask_clarifying_questions tool). */
  questions?: string[];
  stopReason: string | null;
  usage: Usage;
  model: string;
}

export interface AgentCallbacks {
  onText(delta: string): void;
  /** The stream broke after some text and will be requested again: discard what was written so far. */
  onRestart(reason: string): Promise<void>;
}

export interface AgentPort {
  readonly model: string;
  /** Estimated tokens of what precedes the conversation in every request (system prompt, tools). */
  readonly fixedPromptTokens: number;
  answer(conversation: Turn[], callbacks: AgentCallbacks): Promise<AgentResult>;
}

/** Talks back to the person who ran a command, privately (ephemeral). */
export type NotifyUser = (text: string) => Promise<void>;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}
