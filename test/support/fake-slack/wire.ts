import type { Rejection } from './limits.js';
import { type Args, FAKE_TEAM_ID, type FakeMessage, type Json } from './types.js';

/** Wire-format helpers shared by the method handlers: Slack's `{ok,…}` bodies, ts values, pagination. */

export type Body = Record<string, Json>;

export const ok = (data: Body = {}): Body => ({ ok: true, ...data });

export function fail(rejection: Rejection | string): Body {
  const { error, detail } =
    typeof rejection === 'string' ? { error: rejection, detail: undefined } : rejection;
  return detail
    ? { ok: false, error, response_metadata: { messages: [`[ERROR] ${detail}`] } }
    : { ok: false, error };
}

export const tsToMicros = (ts: string) => {
  const [seconds = '0', fraction = ''] = ts.split('.');
  return Number(seconds) * 1e6 + Number(fraction.padEnd(6, '0').slice(0, 6));
};
export const microsToTs = (micros: number) =>
  `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
export const byTs = (a: FakeMessage, b: FakeMessage) => tsToMicros(a.ts) - tsToMicros(b.ts);
export const keyOf = (channel: string, ts: string) => `${channel}/${ts}`;

/** Drops undefined keys so recorded state compares cleanly with toEqual. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function dropUndefined(value: object): void {
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
}

/** A message as Slack's Web API returns it (chat.postMessage `message`, conversations.replies). */
export function wireMessage(m: FakeMessage, replyCount = 0): Body {
  return compact({
    type: 'message',
    user: m.user,
    bot_id: m.bot_id,
    text: m.text ?? m.markdown_text ?? '',
    blocks: m.blocks,
    ts: m.ts,
    thread_ts: m.thread_ts ?? (replyCount > 0 ? m.ts : undefined),
    reply_count: replyCount > 0 ? replyCount : undefined,
    metadata: m.metadata,
    files: m.files,
    upload: m.upload,
    streaming_state: m.streaming_state,
    team: FAKE_TEAM_ID,
  });
}

/** A message as the reading methods return it: `metadata` only with include_all_metadata, as in Slack. */
export function readMessage(m: FakeMessage, args: Args, replyCount = 0): Body {
  const wire = wireMessage(m, replyCount);
  const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
  if (!withMetadata) delete wire.metadata;
  return wire;
}

/** A page size as Slack reads `limit`: the method's default when absent or not positive, capped at `max`. */
export const pageLimit = (args: Args, byDefault: number, max: number) =>
  Math.min(Number(args.limit) > 0 ? Number(args.limit) : byDefault, max);

/** The offset an opaque `cursor` stands for (NaN when it is not one of ours). */
export const cursorOffset = (cursor: unknown) => Number(Buffer.from(String(cursor), 'base64url').toString());

/** `response_metadata.next_cursor` after a page: empty on the last page. */
export const nextCursor = (offset: number, limit: number, total: number) =>
  offset + limit < total ? Buffer.from(String(offset + limit)).toString('base64url') : '';

/** One page of `all` for a lenient `cursor` (one that is not ours reads as the first page). */
export function pageOf<T>(all: T[], args: Args, byDefault: number, max: number) {
  const limit = pageLimit(args, byDefault, max);
  const offset = args.cursor ? cursorOffset(args.cursor) || 0 : 0;
  return {
    page: all.slice(offset, offset + limit),
    hasMore: offset + limit < all.length,
    nextCursor: nextCursor(offset, limit, all.length),
  };
}
