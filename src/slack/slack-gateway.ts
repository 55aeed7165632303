import type { KnownBlock, WebClient } from '@slack/web-api';
import { errorSummary } from '../core/errors.js';
import type { ViewPublisher } from '../core/home/view-publisher.js';
import type { Logger } from '../core/logger.js';
import type {
  AnswerStreamer,
  BlockMessage,
  ChannelReader,
  ConversationSharingLookup,
  MessageLinks,
  MessageStream,
  PrivateResponder,
  SlackUserInfo,
  ThreadMessage,
  ThreadTarget,
  ThreadWriter,
  UserDirectory,
} from '../core/slack-roles.js';
import { SlackMessageStream } from './message-stream.js';
import { type SlackCall, type SlackCallPolicy, slackCaller } from './slack-calls.js';
import { isSharedExternally } from './slack-conversation-sharing.js';
import { slackError, slackErrorCode, toSlackError } from './slack-errors.js';
import { findPosted, postMessage } from './slack-keyed-posts.js';
import { SlackThreadReader, type ThreadPaging } from './slack-thread-reader.js';
import { SlackUserDirectory } from './slack-user-directory.js';
import { type StreamPolicy, sharedStreamPolicy } from './stream-policy.js';

/** One page of ids (a channel's members, or a user's channels) and the cursor to the next page. */
type IdPage = { members: string[]; nextCursor?: string };

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
    ViewPublisher,
    ConversationSharingLookup
{
  private readonly policy: StreamPolicy;
  private readonly users: SlackUserDirectory;
  private readonly threads: SlackThreadReader;
  private readonly call: SlackCall;
  /** Who the bot is, read at each use: with several workspaces, the current workspace's bot. */
  private readonly identity: { readonly botId: string; readonly url: string | undefined };

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    options: {
      /** Our bot id and workspace address (auth.test, or the current workspace's install). */
      identity: { readonly botId: string; readonly url: string | undefined };
      minWriteIntervalMs?: number;
      /** How long a new message waits for its first complete line (default 250 ms). */
      firstLineWaitMs?: number;
      callPolicy?: SlackCallPolicy;
      threadPaging?: ThreadPaging;
    },
  ) {
    this.identity = options.identity;
    this.call = slackCaller(options.callPolicy);
    this.users = new SlackUserDirectory(client, this.call);
    this.threads = new SlackThreadReader(client, this.call, logger, options.threadPaging);
    this.policy = sharedStreamPolicy(logger, options);
  }

  /** e.g. https://acme.slack.com/, for message links. */
  private get workspaceUrl(): string | undefined {
    return this.identity.url;
  }

  /** Only our own messages count as posted by us. */
  private get botId(): string {
    return this.identity.botId;
  }

  postText(channelId: string, text: string, threadTs?: string, key?: string): Promise<string> {
    return postMessage(this.client, this.call, { channelId, message: { text }, threadTs, key });
  }

  postBlocks(channelId: string, message: BlockMessage, threadTs?: string, key?: string): Promise<string> {
    // Never repeated after an ambiguous failure (it may have landed): see slack-keyed-posts.ts.
    return postMessage(this.client, this.call, { channelId, message, threadTs, key });
  }

  findPosted(channelId: string, key: string, threadTs?: string): Promise<string | undefined> {
    return findPosted(this.client, this.call, this.threads, { channelId, key, threadTs, botId: this.botId });
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

  getUser(userId: string): Promise<SlackUserInfo | undefined> {
    return this.users.getUser(userId);
  }

  isSharedExternally(channelId: string): Promise<boolean> {
    return isSharedExternally(this.client, this.call, channelId);
  }

  usergroupMembers(groupId: string): Promise<string[]> {
    return this.users.usergroupMembers(groupId);
  }

  conversationMembersPage(channelId: string, cursor?: string): Promise<IdPage> {
    return this.users.conversationMembersPage(channelId, cursor);
  }

  userConversationsPage(userId: string, cursor?: string): Promise<IdPage> {
    return this.users.userConversationsPage(userId, cursor);
  }

  messageLink(channelId: string, ts: string, threadTs?: string): string | undefined {
    if (!this.workspaceUrl) return undefined;
    const base = `${this.workspaceUrl.replace(/\/$/, '')}/archives/${channelId}/p${ts.replace('.', '')}`;
    return threadTs && threadTs !== ts ? `${base}?thread_ts=${threadTs}&cid=${channelId}` : base;
  }

  openMessage(
    target: ThreadTarget,
    events: { onTs(ts: string): void; onStoppedByUser?(): void; onProgressRefused?(): void },
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

  readThread(channelId: string, threadTs: string, latest?: string): Promise<ThreadMessage[]> {
    return this.threads.readThread(channelId, threadTs, latest);
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
