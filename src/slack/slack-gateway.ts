import type { ConversationsRepliesResponse, KnownBlock, WebClient } from '@slack/web-api';
import { errorSummary } from '../core/errors.js';
import type { ViewPublisher } from '../core/home/view-publisher.js';
import type { Logger } from '../core/logger.js';
import type {
  AnswerStreamer,
  BlockMessage,
  ChannelReader,
  MessageLinks,
  MessageStream,
  PrivateResponder,
  SlackUserInfo,
  ThreadMessage,
  ThreadTarget,
  ThreadWriter,
  UserDirectory,
} from '../core/slack-roles.js';
import { SlackMessageStream, type StreamPolicy } from './message-stream.js';
import { type SlackCall, type SlackCallPolicy, slackCaller } from './slack-calls.js';
import { slackError, slackErrorCode, toSlackError } from './slack-errors.js';

/** Message metadata event type that carries our idempotency key on posts that must not repeat. */
const POST_KEY_EVENT = 'data_engineer_post';

/** conversations.replies page size. */
const THREAD_PAGE_SIZE = 200;
/**
 * How many pages of one thread are kept (10,000 messages): the newest, since those right before a
 * mention matter most; older pages roll out of the window as newer ones arrive.
 */
export const THREAD_PAGES_KEPT = 50;
/** Reading stops here even before the end (100,000 messages): a bound on calls for a pathological thread. */
export const THREAD_PAGES_READ = 500;

/** How much of a long thread is read (tests lower it). */
export interface ThreadPaging {
  pagesKept?: number;
  pagesRead?: number;
}

type RepliesMessages = NonNullable<ConversationsRepliesResponse['messages']>;

/** After Slack refuses streaming, post-then-edit for this long before trying streaming again. */
const STREAMING_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Every Slack role of the core (src/core/slack-roles.ts) over Slack's Web API client: the only place
 * the core's Slack actions become API calls.
 */
export class SlackGateway
  implements
    ThreadWriter,
    AnswerStreamer,
    MessageLinks,
    ChannelReader,
    UserDirectory,
    PrivateResponder,
    ViewPublisher
{
  private streamingRefusedAt = 0;
  private readonly policy: StreamPolicy;
  private readonly paging: Required<ThreadPaging>;
  private readonly call: SlackCall;
  /** e.g. https://acme.slack.com/ (from auth.test), for message links. */
  private readonly workspaceUrl: string | undefined;

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    options: {
      minWriteIntervalMs?: number;
      /** How long a new message waits for its first complete line (default 250 ms). */
      firstLineWaitMs?: number;
      workspaceUrl?: string;
      callPolicy?: SlackCallPolicy;
      threadPaging?: ThreadPaging;
    } = {},
  ) {
    this.call = slackCaller(options.callPolicy);
    this.paging = {
      pagesKept: options.threadPaging?.pagesKept ?? THREAD_PAGES_KEPT,
      pagesRead: options.threadPaging?.pagesRead ?? THREAD_PAGES_READ,
    };
    this.workspaceUrl = options.workspaceUrl;
    this.policy = {
      minIntervalMs: options.minWriteIntervalMs ?? 1000,
      // Within ~300 ms of the model's first token the reader sees a line, even from a slow model.
      firstLineWaitMs: options.firstLineWaitMs ?? 250,
      lastWrites: new Map(),
      streamingAllowed: () => Date.now() - this.streamingRefusedAt > STREAMING_RETRY_AFTER_MS,
      streamingRefused: (code) => {
        this.streamingRefusedAt = Date.now();
        this.logger.warn('Slack refused streaming; posting and editing messages instead', { code });
      },
    };
  }

  postText(channelId: string, text: string, threadTs?: string, key?: string): Promise<string> {
    return this.post(channelId, { text }, threadTs, key);
  }

  postBlocks(channelId: string, message: BlockMessage, threadTs?: string, key?: string): Promise<string> {
    return this.post(channelId, message, threadTs, key);
  }

  /** chat.postMessage, never repeated after an ambiguous failure (it may have landed). */
  private async post(
    channelId: string,
    message: { text: string; blocks?: unknown[] },
    threadTs?: string,
    key?: string,
  ): Promise<string> {
    try {
      const result = await this.call(
        () =>
          this.client.chat.postMessage({
            channel: channelId,
            text: message.text,
            ...(message.blocks ? { blocks: message.blocks as KnownBlock[] } : {}),
            ...(threadTs ? { thread_ts: threadTs } : {}),
            ...(key ? { metadata: { event_type: POST_KEY_EVENT, event_payload: { key } } } : {}),
            unfurl_links: false,
            unfurl_media: false,
          }),
        { idempotent: false },
      );
      if (!result.ts) throw new Error('chat.postMessage returned no ts');
      return result.ts;
    } catch (error) {
      throw toSlackError(error, 'chat.postMessage');
    }
  }

  async findPosted(channelId: string, key: string, threadTs?: string): Promise<string | undefined> {
    const isOurs = (m: { bot_id?: string; metadata?: { event_type?: string; event_payload?: unknown } }) =>
      m.metadata?.event_type === POST_KEY_EVENT &&
      (m.metadata.event_payload as { key?: unknown } | undefined)?.key === key;
    if (threadTs) {
      // Every page must be read: a page missed could hold the post, which would then be posted twice.
      const replies = await this.threadPages(channelId, threadTs, { include_all_metadata: true }, 'throw');
      return replies.find(isOurs)?.ts;
    }
    try {
      const result = await this.call(
        () =>
          this.client.conversations.history({
            channel: channelId,
            limit: 200,
            include_all_metadata: true,
          }),
        { idempotent: true },
      );
      return (result.messages ?? []).find(isOurs)?.ts;
    } catch (error) {
      throw toSlackError(error, 'conversations.history');
    }
  }

  async updateBlocks(channelId: string, ts: string, message: BlockMessage): Promise<void> {
    try {
      await this.call(
        () =>
          this.client.chat.update({
            channel: channelId,
            ts,
            text: message.text,
            blocks: message.blocks as KnownBlock[],
          }),
        { idempotent: true },
      );
    } catch (error) {
      throw toSlackError(error, 'chat.update');
    }
  }

  async getUser(userId: string): Promise<SlackUserInfo | undefined> {
    try {
      const { user } = await this.call(() => this.client.users.info({ user: userId }), { idempotent: true });
      if (!user?.id) return undefined;
      const name = displayName(user);
      return {
        id: user.id,
        isAdmin: Boolean(user.is_admin || user.is_owner || user.is_primary_owner),
        isBot: Boolean(user.is_bot || user.is_app_user),
        deleted: Boolean(user.deleted),
        isGuest: Boolean(user.is_restricted || user.is_ultra_restricted),
        isStranger: Boolean(user.is_stranger),
        ...(user.enterprise_user?.teams ? { enterpriseTeamIds: user.enterprise_user.teams } : {}),
        ...(user.team_id ? { teamId: user.team_id } : {}),
        ...(user.tz ? { timeZone: user.tz } : {}),
        ...(name ? { displayName: name } : {}),
      };
    } catch (error) {
      if (slackErrorCode(error) === 'user_not_found') return undefined;
      throw toSlackError(error, 'users.info');
    }
  }

  async usergroupMembers(groupId: string): Promise<string[]> {
    try {
      const result = await this.call(() => this.client.usergroups.users.list({ usergroup: groupId }), {
        idempotent: true,
      });
      return result.users ?? [];
    } catch (error) {
      throw toSlackError(error, 'usergroups.users.list');
    }
  }

  async conversationMembersPage(
    channelId: string,
    cursor?: string,
  ): Promise<{ members: string[]; nextCursor?: string }> {
    try {
      const page = await this.call(
        () =>
          this.client.conversations.members({
            channel: channelId,
            limit: 200,
            ...(cursor ? { cursor } : {}),
          }),
        { idempotent: true },
      );
      const next = page.response_metadata?.next_cursor;
      return { members: page.members ?? [], ...(next ? { nextCursor: next } : {}) };
    } catch (error) {
      throw toSlackError(error, 'conversations.members');
    }
  }

  async userConversationsPage(
    userId: string,
    cursor?: string,
  ): Promise<{ members: string[]; nextCursor?: string }> {
    try {
      const page = await this.call(
        () =>
          this.client.users.conversations({
            user: userId,
            types: 'public_channel,private_channel,mpim,im',
            exclude_archived: true,
            limit: 200,
            ...(cursor ? { cursor } : {}),
          }),
        { idempotent: true },
      );
      const next = page.response_metadata?.next_cursor;
      const ids = (page.channels ?? []).flatMap((channel) => (channel.id ? [channel.id] : []));
      return { members: ids, ...(next ? { nextCursor: next } : {}) };
    } catch (error) {
      throw toSlackError(error, 'users.conversations');
    }
  }

  messageLink(channelId: string, ts: string, threadTs?: string): string | undefined {
    if (!this.workspaceUrl) return undefined;
    const base = `${this.workspaceUrl.replace(/\/$/, '')}/archives/${channelId}/p${ts.replace('.', '')}`;
    return threadTs && threadTs !== ts ? `${base}?thread_ts=${threadTs}&cid=${channelId}` : base;
  }

  openMessage(
    target: ThreadTarget,
    events: { onTs(ts: string): void; onStoppedByUser?(): void },
    options?: { existingTs?: string | undefined; after?: Promise<unknown>; signal?: AbortSignal },
  ): MessageStream {
    return new SlackMessageStream(this.client, target, events, this.policy, this.call, options);
  }

  async deleteMessage(channelId: string, ts: string): Promise<void> {
    try {
      await this.call(() => this.client.chat.delete({ channel: channelId, ts }), { idempotent: true });
    } catch (error) {
      if (slackErrorCode(error) !== 'message_not_found') throw toSlackError(error, 'chat.delete');
    }
  }

  async readThread(channelId: string, threadTs: string, latest?: string): Promise<ThreadMessage[]> {
    // Up to the mention (inclusive, as Slack's `latest` is exclusive otherwise): what came after it is
    // answered as follow-ups, and reading it would only push older context out of the window.
    const upTo = latest ? { latest, inclusive: true } : {};
    const messages = await this.threadPages(channelId, threadTs, upTo, 'partial');
    return messages.map((m) => ({
      ts: m.ts ?? '',
      ...(m.user ? { userId: m.user } : {}),
      isBot: Boolean(m.bot_id),
      text: m.text ?? '',
    }));
  }

  /**
   * A thread's messages, oldest first. conversations.replies returns one page (at most `limit`) at a
   * time, oldest first, so the newest messages — those right before a mention — are on the last page:
   * follow `response_metadata.next_cursor` to the end, keeping the thread's first message and a rolling
   * window of the newest pages (bounded memory), reading at most `pagesRead` pages (bounded calls) and
   * stopping should Slack hand back a cursor already followed. `onLaterPageError`: 'partial' returns
   * what was read when a later page fails (a 429 past its waits, a 5xx), 'throw' fails the whole read.
   */
  private async threadPages(
    channelId: string,
    threadTs: string,
    options: { include_all_metadata?: boolean; latest?: string; inclusive?: boolean },
    onLaterPageError: 'partial' | 'throw',
  ): Promise<RepliesMessages> {
    let first: RepliesMessages[number] | undefined;
    const window: RepliesMessages[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    const log = { channelId, threadTs };
    for (let page = 0; page < this.paging.pagesRead; page++) {
      let result: ConversationsRepliesResponse;
      try {
        result = await this.call(
          () =>
            this.client.conversations.replies({
              channel: channelId,
              ts: threadTs,
              limit: THREAD_PAGE_SIZE,
              ...options,
              ...(cursor ? { cursor } : {}),
            }),
          { idempotent: true },
        );
      } catch (error) {
        if (page === 0 || onLaterPageError === 'throw') throw toSlackError(error, 'conversations.replies');
        this.logger.warn('could not read the rest of a thread; using the pages read', {
          ...log,
          pages: page,
          code: slackErrorCode(error),
        });
        break;
      }
      const messages = result.messages ?? [];
      first ??= messages[0];
      window.push(page === 0 ? messages.slice(1) : messages);
      if (window.length > this.paging.pagesKept) window.shift();
      cursor = result.response_metadata?.next_cursor;
      if (!result.has_more || !cursor) return withFirst(first, window);
      if (seen.has(cursor)) {
        this.logger.warn('Slack repeated a thread cursor; using the pages read', { ...log, pages: page + 1 });
        return withFirst(first, window);
      }
      seen.add(cursor);
    }
    if (cursor)
      this.logger.warn('a thread is longer than the pages read; using the pages read', {
        ...log,
        pages: this.paging.pagesRead,
      });
    return withFirst(first, window);
  }

  async postEphemeral(channelId: string, userId: string, text: string, threadTs?: string): Promise<void> {
    try {
      await this.call(
        () =>
          this.client.chat.postEphemeral({
            channel: channelId,
            user: userId,
            text,
            ...(threadTs ? { thread_ts: threadTs } : {}),
          }),
        { idempotent: false },
      );
    } catch (error) {
      this.logger.warn('could not send an ephemeral note', { code: slackErrorCode(error) });
    }
  }

  async publishHome(userId: string, view: { type: 'home'; blocks: unknown[] }): Promise<void> {
    try {
      await this.call(
        () =>
          this.client.views.publish({
            user_id: userId,
            view: { type: 'home', blocks: view.blocks as KnownBlock[] },
          }),
        { idempotent: true },
      );
    } catch (error) {
      throw toSlackError(error, 'views.publish');
    }
  }

  async respondPrivately(responseUrl: string, text: string): Promise<void> {
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok) throw slackError(`http_${response.status}`, 'response_url');
  }

  async setStatus(channelId: string, threadTs: string, status: string): Promise<void> {
    try {
      await this.call(
        () => this.client.assistant.threads.setStatus({ channel_id: channelId, thread_ts: threadTs, status }),
        { idempotent: true },
      );
    } catch (error) {
      // The status is a nicety: a workspace without it still gets its answer.
      this.logger.debug('could not set the thread status', { error: errorSummary(error) });
    }
  }
}

/** The name Slack shows for a user: display name, else real name, else the handle. */
function displayName(user: {
  name?: string;
  real_name?: string;
  profile?: { display_name?: string; real_name?: string };
}): string | undefined {
  return user.profile?.display_name || user.profile?.real_name || user.real_name || user.name || undefined;
}

/** The thread's first message (its opening, usually the problem), then the pages kept after it. */
function withFirst(first: RepliesMessages[number] | undefined, pages: RepliesMessages[]): RepliesMessages {
  return [...(first ? [first] : []), ...pages.flat()];
}
