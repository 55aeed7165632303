import type {
  CollaborationRequest,
  CollaborationRole,
  DeliveryKey,
  OwnerAssignment,
  OwnerRef,
  Task,
  Turn,
  Usage,
} from './domain.js';
import type { JobPayload } from './jobs/jobs.js';

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
  /** The conversation's first turn, stored with the task so later replies always come after it. */
  firstTurn: { content: string; slackTs?: string };
}

export interface TaskStore {
  /**
   * Inserts the task, records the delivery and queues the task's job in one transaction; a repeated
   * delivery returns the first task (and queues nothing).
   */
  createTask(
    task: NewTask,
    delivery: DeliveryKey,
    job?: JobPayload,
  ): Promise<{ task: Task; created: boolean }>;
  getTask(teamId: string, taskId: number): Task | undefined;
  /** The task whose conversation lives in this thread, if the bot owns it. */
  findTaskByThread(teamId: string, channelId: string, threadTs: string): Task | undefined;
  /**
   * Stores a human reply in a task's thread as a user turn, once per delivery (event id, and channel +
   * message ts), and queues the task's job in the same transaction. Returns false when this delivery
   * was handled before.
   */
  recordFollowUp(
    teamId: string,
    taskId: number,
    delivery: DeliveryKey,
    turn: { content: string; userId: string; slackTs: string },
  ): boolean;
  setThread(teamId: string, taskId: number, threadTs: string): void;
  /**
   * A failed task back in the queue (the Retry button), counted toward `userId`'s hourly limit: false
   * when it is not failed (any more).
   */
  retryFailed(teamId: string, taskId: number, userId: string): boolean;
  markRunning(teamId: string, taskId: number, model: string): void;
  setAnswerTs(teamId: string, taskId: number, answerTs: string): void;
  /** The Stop button's message of the answer being written, or null once it is gone. */
  setStopControlTs(teamId: string, taskId: number, ts: string | null): void;
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
  beginAssistantTurn(teamId: string, taskId: number): ReservedTurn;
  /** The messages the reserved turn's answer is being written into, as each appears. */
  setTurnMessages(teamId: string, turnId: number, messageTs: string[]): void;
  finishAssistantTurn(teamId: string, turnId: number, content: string, usage: Usage, slackTs?: string): void;
  discardTurn(teamId: string, turnId: number): void;
  /** The task's first turn (the request itself). */
  firstTurn(teamId: string, taskId: number): { id: number; content: string } | undefined;
  setTurnContent(teamId: string, turnId: number, content: string): void;
  /** The conversation so far, without reserved turns that have no content yet. */
  listTurns(teamId: string, taskId: number): Turn[];
}

/** A request as the agent raises it: the stored request before it has an id, a status or a ping. */
export type NewCollaborationRequest = Pick<
  CollaborationRequest,
  'teamId' | 'taskId' | 'channelId' | 'threadTs' | 'role' | 'topic' | 'request' | 'reason' | 'owner'
>;

/** What a request's thread is told, each at most once. */
export type AnnouncementKind = 'ping' | 'guidance' | 'invite';

/** Owners per role and the collaboration requests the agent raised. Every method is scoped by team. */
export interface CollaborationStore {
  /** The owner of each role for this channel: the channel's own, else the workspace default. */
  effectiveOwners(teamId: string, channelId: string): Map<CollaborationRole, OwnerAssignment>;
  /** `channelId` undefined sets the workspace default. */
  setOwner(
    teamId: string,
    channelId: string | undefined,
    role: CollaborationRole,
    owner: OwnerRef,
    setBy: string,
  ): void;
  /** Returns false when there was nothing to clear. */
  clearOwner(teamId: string, channelId: string | undefined, role: CollaborationRole): boolean;
  /**
   * Stores at most one request per task and role, whatever its status (done included): a repeat returns
   * the earlier one, `sameTopic` saying whether it was the same topic.
   */
  recordRequest(input: NewCollaborationRequest): {
    request: CollaborationRequest;
    created: boolean;
    sameTopic: boolean;
  };
  getRequest(teamId: string, requestId: number): CollaborationRequest | undefined;
  /** Requests of a task whose ping (owner known) or guidance (no owner) is not confirmed posted yet. */
  unannounced(teamId: string, taskId: number): CollaborationRequest[];
  /** Not-done requests for a role that have no owner yet, oldest first. */
  unassigned(teamId: string, role: CollaborationRole): CollaborationRequest[];
  /** Gives an unassigned request its owner; false when it already had one. */
  assignOwner(teamId: string, requestId: number, owner: OwnerRef): boolean;
  /**
   * Claims the right to post the ping, the "no owner yet" guidance or the "owner isn't here" invite
   * note: 'first' when nobody claimed it before,
   * 'unconfirmed' when an earlier run claimed it but never confirmed the post (it crashed, or the post
   * failed; one job per task at a time means that run is over), so the post may or may not be in the
   * thread; undefined when it was posted already.
   */
  claimAnnouncement(
    teamId: string,
    requestId: number,
    kind: AnnouncementKind,
  ): 'first' | 'unconfirmed' | undefined;
  /** The claimed post is in the thread (at `ts`): never post it again. */
  confirmAnnouncement(teamId: string, requestId: number, kind: AnnouncementKind, ts: string): void;
  /**
   * Moves a request forward (open → acknowledged → done; open → done). Returns the updated request,
   * or the unchanged one when the move is not allowed (e.g. already done).
   */
  advance(
    teamId: string,
    requestId: number,
    to: 'acknowledged' | 'done',
    userId: string,
  ): { request: CollaborationRequest; changed: boolean } | undefined;
  /** Not-done requests of a channel, oldest first, with the total count. */
  openInChannel(
    teamId: string,
    channelId: string,
    limit: number,
  ): { requests: CollaborationRequest[]; total: number };
}

/** What the bot needs to know about a Slack user to accept them as an owner or an admin. */
export interface SlackUserInfo {
  id: string;
  /** IANA time zone from the profile, when Slack gives one. */
  timeZone?: string;
  /** Slack's is_admin / is_owner: an admin of *their own* workspace (see `teamId`). */
  isAdmin: boolean;
  isBot: boolean;
  deleted: boolean;
  /** The user's home workspace; another workspace's id for a Slack Connect user. */
  teamId?: string;
  /** A guest (is_restricted: multi-channel, is_ultra_restricted: single-channel). */
  isGuest: boolean;
  /** is_stranger: a Slack Connect user outside this workspace's directory. */
  isStranger: boolean;
  /** Enterprise Grid: the workspaces of the organisation this user belongs to (enterprise_user.teams). */
  enterpriseTeamIds?: string[];
  /** How people know them (display name, else real name, else handle); plain text, never a mention. */
  displayName?: string;
}

/** A message the bot composes itself: fallback text plus Block Kit blocks. */
export interface BlockMessage {
  text: string;
  blocks: unknown[];
}

/**
 * An assistant turn reserved before the model is called. A turn left unfinished by a crash is reused
 * when the task's job runs again, with the messages its answer had reached.
 */
export interface ReservedTurn {
  id: number;
  messageTs: string[];
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
  postText(channelId: string, text: string, threadTs?: string, key?: string): Promise<string>;
  /**
   * A message this bot posted with `key` (Slack message metadata): among the channel's recent
   * top-level messages, or among the replies of `threadTs` when given. How a post interrupted by a
   * crash (or answered with a timeout or a 5xx after it landed) is found instead of posted twice.
   */
  findPosted(channelId: string, key: string, threadTs?: string): Promise<string | undefined>;
  /**
   * Opens a message in a thread: a new streamed message, or — when `existingTs` is given — a rewrite of
   * a message we posted before (used when an answer has to be written again). Nothing is written
   * before `after` settles, which keeps multi-message answers in order.
   */
  openMessage(
    target: ThreadTarget,
    events: {
      onTs(ts: string): void;
      /** The reader pressed Slack's own Stop on this streaming message. */
      onStoppedByUser?(): void;
    },
    options?: {
      existingTs?: string | undefined;
      after?: Promise<unknown>;
      /** Once aborted the message is written no more (a `stopped` abort still closes its stream). */
      signal?: AbortSignal;
    },
  ): MessageStream;
  deleteMessage(channelId: string, ts: string): Promise<void>;
  /**
   * The messages of a thread, oldest first (used once, for context when mentioned in a foreign thread);
   * `latest`: only up to this message (inclusive), e.g. the mention that asked for the thread.
   */
  readThread(channelId: string, threadTs: string, latest?: string): Promise<ThreadMessage[]>;
  /** A short private note to one person in a conversation; best effort. */
  postEphemeral(channelId: string, userId: string, text: string, threadTs?: string): Promise<void>;
  /** Posts a message with blocks (bot-composed, e.g. a collaboration ping). Throws SlackError. */
  postBlocks(channelId: string, message: BlockMessage, threadTs?: string, key?: string): Promise<string>;
  /** Replaces a bot message's text and blocks. Throws SlackError. */
  updateBlocks(channelId: string, ts: string, message: BlockMessage): Promise<void>;
  /** users.info; undefined when Slack does not know the user. Throws SlackError on other failures. */
  getUser(userId: string): Promise<SlackUserInfo | undefined>;
  /** usergroups.users.list: the ids of a user group's members. Throws SlackError. */
  usergroupMembers(groupId: string): Promise<string[]>;
  /** One page of conversations.members (200 a page): who is in a conversation. Throws SlackError. */
  conversationMembersPage(
    channelId: string,
    cursor?: string,
  ): Promise<{ members: string[]; nextCursor?: string }>;
  /**
   * One page of users.conversations for a person (200 a page, archived excluded): the ids of the
   * conversations they are in that the bot can see. Throws SlackError.
   */
  userConversationsPage(userId: string, cursor?: string): Promise<{ members: string[]; nextCursor?: string }>;
  /**
   * A link to a message (in a thread when `threadTs` is given), built from the workspace URL that
   * auth.test reported, so lists of thousands of items cost no API calls. Undefined if unknown.
   */
  messageLink(channelId: string, ts: string, threadTs?: string): string | undefined;
  /** Publishes a person's Home tab (views.publish). Throws SlackError. */
  publishHome(userId: string, view: { type: 'home'; blocks: unknown[] }): Promise<void>;
  /** A private reply through a slash command's response_url (works where the bot is not a member). */
  respondPrivately(responseUrl: string, text: string): Promise<void>;
  /** "is thinking…" under the thread; best effort, never throws. */
  setStatus(channelId: string, threadTs: string, status: string): Promise<void>;
}

/** What the model produced for one turn. */
export interface AgentResult {
  text: string;
  /**
   * A turn-ending tool was called (e.g. ask_clarifying_questions): the text the bot posts after the
   * answer's text; the task then waits for a human reply.
   */
  waitingText?: string;
  stopReason: string | null;
  usage: Usage;
  model: string;
}

/** A tool call of the model, as it came (its input not validated yet). */
export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** One result per tool call, sent back to the model in the calls' order. */
export interface ToolResult {
  id: string;
  text: string;
  isError: boolean;
}

export type ToolRound = { endTurn: string } | { results: ToolResult[] };

/** The agent's request_collaboration tool call, validated. */
export interface CollaborationAsk {
  role: CollaborationRole;
  topic: string;
  request: string;
  reason: string;
}

export interface AgentCallbacks {
  onText(delta: string): void;
  /**
   * Runs the tool calls of one model round (src/core/agent-tool.ts): the results to send back before
   * the model continues, the text of a turn-ending tool, or undefined when the model may not
   * continue (`mayContinue` false) and no tool ended the turn. Absent: tool calls end the answer.
   */
  runTools?(calls: ToolCall[], options: { mayContinue: boolean }): Promise<ToolRound | undefined>;
  /** The stream broke after some text and will be requested again: discard what was written so far. */
  onRestart(reason: string): Promise<void>;
  /** Claude failed in a way worth retrying; the next attempt starts after `delayMs`. */
  onRetry?(retry: { attempt: number; delayMs: number; reason: string }): void;
  /** Aborts the model call (the request's connection is closed) and every retry after it. */
  signal?: AbortSignal;
}

export interface AgentPort {
  readonly model: string;
  /** Estimated tokens of what precedes the conversation in every request (system prompt, tools). */
  readonly fixedPromptTokens: number;
  answer(conversation: Turn[], callbacks: AgentCallbacks): Promise<AgentResult>;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** A human message stored as a turn of a conversation. */
export interface StoredMessage {
  turnId: number;
  taskId: number;
  /** The task's first turn: the request itself (it stays, as a placeholder, when deleted). */
  first: boolean;
  content: string;
}

/**
 * What is kept of Slack messages, and for how long: conversations idle for RETENTION_DAYS and old
 * delivery records are pruned; a message deleted or edited in Slack is deleted or edited here too.
 */
export interface RetentionStore {
  /** The workspaces with stored rows (pruning runs per workspace, like every other query). */
  teams(): string[];
  /**
   * Deletes the team's tasks with no activity since `cutoffMs` and nothing queued (their turns,
   * collaboration requests and jobs go with them), the delivery records older than `cutoffMs`, and the
   * hourly limit's admissions older than `admissionsCutoffMs`.
   */
  prune(
    teamId: string,
    cutoffMs: number,
    admissionsCutoffMs: number,
  ): { tasks: number; turns: number; events: number };
  findMessage(teamId: string, channelId: string, ts: string): StoredMessage | undefined;
  deleteTurn(teamId: string, turnId: number): void;
  setTurnContent(teamId: string, turnId: number, content: string): void;
  /** The task's own copy of its request (text and title), as shown in lists, digests and Home. */
  setTaskText(teamId: string, taskId: number, text: string, title: string): void;
}
