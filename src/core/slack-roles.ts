import type { ProgressStep } from './progress.js';

/**
 * What the core asks of Slack, cut by role: a use case names only the roles it uses (so a test stubs
 * the two methods it needs, not all of Slack). src/slack/slack-gateway.ts implements them all over the
 * Web API; the Home tab's ViewPublisher lives with its feature (src/core/home/view-publisher.ts).
 */

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
  /**
   * Shows a step of the answer's progress on this message (Slack's task_update chunks), batched with
   * the text at the same pace. False when this message cannot show steps (posted and edited, not
   * streamed; or Slack refused the chunks): the caller shows the step another way.
   */
  progress?(step: ProgressStep): boolean;
  /**
   * `closingBlocks`: bot-composed blocks shown under the text once it is complete (the feedback
   * buttons), on the message itself when Slack's stream carries them, else in a message right after.
   */
  finish(closingBlocks?: BlockMessage): Promise<string>;
}

export interface ThreadMessage {
  ts: string;
  userId?: string;
  isBot: boolean;
  text: string;
}

/** Posts, edits and removes the bot's own messages in a conversation or a thread. */
export interface ThreadWriter {
  /** Posts a short mrkdwn message (never model output). Throws SlackError on failure. */
  postText(channelId: string, text: string, threadTs?: string, key?: string): Promise<string>;
  /**
   * A message this bot posted with `key` (Slack message metadata): among the channel's recent
   * top-level messages, or among the replies of `threadTs` when given. How a post interrupted by a
   * crash (or answered with a timeout or a 5xx after it landed) is found instead of posted twice.
   */
  findPosted(channelId: string, key: string, threadTs?: string): Promise<string | undefined>;
  /** Posts a message with blocks (bot-composed, e.g. a collaboration ping). Throws SlackError. */
  postBlocks(channelId: string, message: BlockMessage, threadTs?: string, key?: string): Promise<string>;
  /** Replaces a bot message's text and blocks. Throws SlackError. */
  updateBlocks(channelId: string, ts: string, message: BlockMessage): Promise<void>;
  deleteMessage(channelId: string, ts: string): Promise<void>;
  /** A short private note to one person in a conversation; best effort. */
  postEphemeral(channelId: string, userId: string, text: string, threadTs?: string): Promise<void>;
}

/** Writes an answer into a thread as it streams, with the "is thinking…" status under it. */
export interface AnswerStreamer {
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
      /** Slack refused the progress steps sent: they were dropped, the text still goes out. */
      onProgressRefused?(): void;
    },
    options?: {
      existingTs?: string | undefined;
      after?: Promise<unknown>;
      /** Once aborted the message is written no more (a `stopped` abort still closes its stream). */
      signal?: AbortSignal;
    },
  ): MessageStream;
  /** "is thinking…" under the thread; best effort, never throws. */
  setStatus(channelId: string, threadTs: string, status: string): Promise<void>;
}

/** Links to messages, built locally (no API call). */
export interface MessageLinks {
  /**
   * A link to a message (in a thread when `threadTs` is given), built from the workspace URL that
   * auth.test reported, so lists of thousands of items cost no API calls. Undefined if unknown.
   */
  messageLink(channelId: string, ts: string, threadTs?: string): string | undefined;
}

/** Reads a conversation's messages. */
export interface ChannelReader {
  /**
   * The messages of a thread, oldest first (used once, for context when mentioned in a foreign thread);
   * `latest`: only up to this message (inclusive), e.g. the mention that asked for the thread.
   */
  readThread(channelId: string, threadTs: string, latest?: string): Promise<ThreadMessage[]>;
}

/** Who people are, and who is in which group and conversation. */
export interface UserDirectory {
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
}

/** Whether a conversation reaches people of another organisation (Slack Connect). */
export interface ConversationSharingLookup {
  /**
   * conversations.info: true when the conversation is shared with another organisation, or an
   * invitation to share it is pending (is_ext_shared, is_pending_ext_shared, or is_shared outside an
   * Enterprise Grid organisation). Throws SlackError when Slack cannot say.
   */
  isSharedExternally(channelId: string): Promise<boolean>;
}

/** Replies to a slash command through its response_url. */
export interface PrivateResponder {
  /** A private reply through a slash command's response_url (works where the bot is not a member). */
  respondPrivately(responseUrl: string, text: string): Promise<void>;
}

/** The one user lookup permission checks and name look-ups need. */
export type UserLookup = Pick<UserDirectory, 'getUser'>;
