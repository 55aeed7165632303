import type { KnownBlock, WebClient } from '@slack/web-api';
import type { SlackCall } from './slack-calls.js';
import { toSlackError } from './slack-errors.js';
import type { SlackThreadReader } from './slack-thread-reader.js';

/** Message metadata event type that carries our idempotency key on posts that must not repeat. */
const POST_KEY_EVENT = 'data_engineer_post';

interface Post {
  channelId: string;
  message: { text: string; blocks?: unknown[] };
  threadTs?: string | undefined;
  /** Stored as message metadata, so the post can be found again instead of posted twice. */
  key?: string | undefined;
}

/** chat.postMessage, never repeated after an ambiguous failure (it may have landed). */
export async function postMessage(
  client: WebClient,
  call: SlackCall,
  { channelId, message, threadTs, key }: Post,
): Promise<string> {
  try {
    const result = await call(
      () =>
        client.chat.postMessage({
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

/**
 * A message this bot posted with `key`: among the channel's recent top-level messages, or among the
 * replies of `threadTs` when given. Only a message with our own bot_id counts: any app can post
 * metadata of this event type, and a forged one must not stand in for (and so suppress) ours.
 */
export async function findPosted(
  client: WebClient,
  call: SlackCall,
  threads: SlackThreadReader,
  {
    channelId,
    key,
    threadTs,
    botId,
  }: { channelId: string; key: string; threadTs?: string | undefined; botId: string },
): Promise<string | undefined> {
  const isOurs = (m: { bot_id?: string; metadata?: { event_type?: string; event_payload?: unknown } }) =>
    m.bot_id === botId &&
    m.metadata?.event_type === POST_KEY_EVENT &&
    (m.metadata.event_payload as { key?: unknown } | undefined)?.key === key;
  if (threadTs) {
    // Every page must be read: a page missed could hold the post, which would then be posted twice.
    const replies = await threads.pages(channelId, threadTs, { include_all_metadata: true }, 'throw');
    return replies.find(isOurs)?.ts;
  }
  try {
    const result = await call(
      () =>
        client.conversations.history({
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
