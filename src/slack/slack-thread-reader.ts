import type { ConversationsRepliesResponse, WebClient } from '@slack/web-api';
import type { Logger } from '../core/logger.js';
import type { ChannelReader, ThreadMessage } from '../core/slack-roles.js';
import type { SlackCall } from './slack-calls.js';
import { slackErrorCode, toSlackError } from './slack-errors.js';

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

/** A thread's messages over conversations.replies, paged and bounded. */
export class SlackThreadReader implements ChannelReader {
  private readonly paging: Required<ThreadPaging>;

  constructor(
    private readonly client: WebClient,
    private readonly call: SlackCall,
    private readonly logger: Logger,
    paging: ThreadPaging = {},
  ) {
    this.paging = {
      pagesKept: paging.pagesKept ?? THREAD_PAGES_KEPT,
      pagesRead: paging.pagesRead ?? THREAD_PAGES_READ,
    };
  }

  async readThread(channelId: string, threadTs: string, latest?: string): Promise<ThreadMessage[]> {
    // Up to the mention (inclusive, as Slack's `latest` is exclusive otherwise): what came after it is
    // answered as follow-ups, and reading it would only push older context out of the window.
    const upTo = latest ? { latest, inclusive: true } : {};
    const messages = await this.pages(channelId, threadTs, upTo, 'partial');
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
  async pages(
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
        result = await this.replyPage(channelId, threadTs, options, cursor);
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

  /** One page of conversations.replies. */
  private replyPage(
    channelId: string,
    threadTs: string,
    options: { include_all_metadata?: boolean; latest?: string; inclusive?: boolean },
    cursor: string | undefined,
  ): Promise<ConversationsRepliesResponse> {
    return this.call(
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
  }
}

/** The thread's first message (its opening, usually the problem), then the pages kept after it. */
function withFirst(first: RepliesMessages[number] | undefined, pages: RepliesMessages[]): RepliesMessages {
  return [...(first ? [first] : []), ...pages.flat()];
}
