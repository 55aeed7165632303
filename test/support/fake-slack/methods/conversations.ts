import { kindFlags, type Method } from '../state.js';
import { FAKE_BOT_USER_ID, FAKE_TEAM_ID } from '../types.js';
import { fail, ok, pageLimit, pageOf, readMessage, tsToMicros } from '../wire.js';

/** conversations.replies, conversations.history, conversations.info and conversations.members. */

const replies: Method = (state, args) => {
  const asked = state.findIn(args, 'thread_not_found');
  if (typeof asked === 'string') return fail(asked);
  const rootTs = asked.thread_ts ?? asked.ts;
  const thread = state.threadMessages(asked.channel, rootTs);
  const replyCount = thread.filter((m) => m.ts !== rootTs).length;
  // As in Slack: only messages between `oldest` and `latest`, the bounds themselves with `inclusive`.
  const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
  const latest = args.latest ? tsToMicros(String(args.latest)) : undefined;
  const oldest = args.oldest ? tsToMicros(String(args.oldest)) : undefined;
  const inRange = (ts: string) => {
    const at = tsToMicros(ts);
    if (latest !== undefined && (inclusive ? at > latest : at >= latest)) return false;
    return oldest === undefined || (inclusive ? at >= oldest : at > oldest);
  };
  const all = thread
    .filter((m) => inRange(m.ts))
    .map((m) => readMessage(m, args, m.ts === rootTs ? replyCount : 0));
  const { page, hasMore, nextCursor } = pageOf(all, args, 1000, 1000);
  return ok({ messages: page, has_more: hasMore, response_metadata: { next_cursor: nextCursor } });
};

/** Top-level messages, newest first. */
const history: Method = (state, args) => {
  const denied = state.access(args.channel);
  if (denied) return fail(denied);
  const oldest = args.oldest ? Number(args.oldest) : 0;
  const limit = pageLimit(args, 100, 999);
  const top = state.messages
    .filter((m) => m.channel === args.channel && (!m.thread_ts || m.thread_ts === m.ts))
    .filter((m) => Number(m.ts) > oldest)
    .sort((a, b) => Number(b.ts) - Number(a.ts))
    .slice(0, limit)
    .map((m) => readMessage(m, args));
  return ok({ messages: top, has_more: false });
};

const info: Method = (state, args) => {
  const channel = state.visibleChannel(args.channel);
  if (!channel) return fail('channel_not_found');
  return ok({
    channel: {
      id: channel.id,
      name: channel.name,
      ...kindFlags(channel),
      is_private: channel.private,
      is_member: channel.member,
      is_archived: false,
      // Slack Connect and Enterprise Grid sharing, as Slack reports them on every channel object.
      is_shared: channel.sharing === 'external' || channel.sharing === 'org',
      is_ext_shared: channel.sharing === 'external',
      is_org_shared: channel.sharing === 'org',
      is_pending_ext_shared: channel.sharing === 'pending',
      context_team_id: FAKE_TEAM_ID,
    },
  });
};

/**
 * conversations.members, paginated like Slack: `limit` (default 100, at most 1000) and an opaque
 * `cursor`; the last page has an empty `next_cursor`. The bot sees members only where it may read.
 */
const members: Method = (state, args) => {
  const channel = state.visibleChannel(args.channel);
  if (!channel) return fail('channel_not_found');
  const everyone = channel.members
    ? [...channel.members, ...(channel.member ? [FAKE_BOT_USER_ID] : [])]
    : [...state.users.keys()];
  const all = [...new Set(everyone)];
  const { page, nextCursor } = pageOf(all, args, 100, 1000);
  return ok({ members: page, response_metadata: { next_cursor: nextCursor } });
};

export const conversationMethods: Record<string, Method> = {
  'conversations.replies': replies,
  'conversations.history': history,
  'conversations.info': info,
  'conversations.members': members,
};
