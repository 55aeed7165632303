import type { App } from '@slack/bolt';
import { z } from 'zod';
import { errorSummary } from '../../core/errors.js';
import {
  applyEditedMessage,
  forgetDeletedMessage,
  type RetentionDeps,
} from '../../core/retention/retention.js';
import { handleMessage, type MessageDeps } from '../../core/tasks/handle-message.js';
import { eventDelivery } from '../event-ack.js';

/** The fields of a message / app_mention event we use; anything else Slack sends is ignored. */
const messageEvent = z.object({
  type: z.enum(['message', 'app_mention']),
  subtype: z.string().optional(),
  channel: z.string().min(1),
  channel_type: z.string().optional(),
  user: z.string().min(1).optional(),
  bot_id: z.string().optional(),
  text: z.string().optional().default(''),
  ts: z.string().min(1),
  thread_ts: z.string().optional(),
  // A file_share message (or a mention with files) lists them; only the id is used (files.info tells the rest).
  files: z
    .array(
      z.object({ id: z.string().min(1), name: z.string().optional(), mode: z.string().optional() }).loose(),
    )
    .max(100)
    .optional(),
});

/** The message Slack quotes in `message_deleted` (previous_message) and `message_changed` (message). */
const quotedMessage = z.object({
  ts: z.string().min(1),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional().default(''),
  thread_ts: z.string().optional(),
});

/** A message deleted or edited in Slack: the stored copy follows (src/core/retention.ts). */
const editEvent = z.discriminatedUnion('subtype', [
  z.object({
    subtype: z.literal('message_deleted'),
    channel: z.string().min(1),
    deleted_ts: z.string().min(1),
    previous_message: quotedMessage.optional(),
  }),
  z.object({
    subtype: z.literal('message_changed'),
    channel: z.string().min(1),
    message: quotedMessage,
    previous_message: quotedMessage.partial().optional(),
  }),
]);

const envelope = z.object({ event_id: z.string().min(1), team_id: z.string().min(1).optional() });

/** Plain messages and replies; anything else (edits, deletions, joins, bot posts) is not a human speaking. */
const HUMAN_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);

/**
 * Mentions, DMs and replies in the bot's threads, and deletions and edits of stored messages. The
 * request is acknowledged when this returns (src/slack/event-ack.ts), so the delivery is stored before
 * Slack hears back. The use case dedupes on the event id and on channel + ts, so retries and the
 * app_mention/message twins of one mention produce one answer.
 */
export function registerEvents(app: App, deps: MessageDeps & RetentionDeps): void {
  const handle = async (
    raw: unknown,
    body: unknown,
    context: { teamId?: string; botUserId?: string } & Record<string, unknown>,
  ) => {
    const event = messageEvent.safeParse(raw);
    const meta = envelope.safeParse(body);
    if (!event.success || !meta.success) {
      deps.logger.debug('ignored an event that is not a plain message');
      return;
    }
    const e = event.data;
    const teamId = context.teamId ?? meta.data.team_id;
    const botMention = context.botUserId ? new RegExp(`<@${context.botUserId}(\\|[^>]*)?>`, 'g') : undefined;
    const withoutMention = (text: string) => (botMention ? text.replace(botMention, '') : text).trim();
    if (teamId && (e.subtype === 'message_deleted' || e.subtype === 'message_changed')) {
      await followEdit(deps, teamId, raw, withoutMention, context);
      return;
    }
    if (!HUMAN_SUBTYPES.has(e.subtype) || e.bot_id || !e.user || e.user === context.botUserId) return;
    if (!teamId) return;
    const isDirectMessage = e.channel_type === 'im' || e.channel.startsWith('D');
    const routed = handleMessage(deps, {
      teamId,
      channelId: e.channel,
      userId: e.user,
      text: withoutMention(e.text),
      ts: e.ts,
      threadTs: e.thread_ts,
      eventId: meta.data.event_id,
      // A deleted file stays in its message as a tombstone: nothing to read.
      files: (e.files ?? [])
        .filter((f) => f.mode !== 'tombstone')
        .map((f) => ({ id: f.id, ...(f.name ? { name: f.name.slice(0, 255) } : {}) })),
      // Channel mentions start tasks through app_mention; its `message` twin only counts in our threads.
      addressed: e.type === 'app_mention' || isDirectMessage,
      isDirectMessage,
    });
    deps.runner.track(`event:${meta.data.event_id}`, routed);
    // Not stored (or not handled): the event is not acknowledged, so Slack delivers it again; the
    // delivery is deduplicated on its id, so a retry after a partial success answers nothing twice.
    await routed.catch(() => {
      const delivery = eventDelivery(context);
      if (delivery) delivery.failed = true;
    });
  };
  app.event('app_mention', async ({ event, body, context }) => handle(event, body, context));
  app.event('message', async ({ event, body, context }) => handle(event, body, context));
}

/** Applies a deletion or an edit to what is stored; a failed write is not acknowledged (Slack retries). */
async function followEdit(
  deps: MessageDeps & RetentionDeps,
  teamId: string,
  raw: unknown,
  withoutMention: (text: string) => string,
  context: Record<string, unknown>,
): Promise<void> {
  const parsed = editEvent.safeParse(raw);
  if (!parsed.success) return;
  const e = parsed.data;
  try {
    if (e.subtype === 'message_deleted') {
      const previous = e.previous_message;
      await forgetDeletedMessage(deps, {
        teamId,
        channelId: e.channel,
        ts: e.deleted_ts,
        ...(previous && !previous.bot_id
          ? { previous: { userId: previous.user, text: previous.text, threadTs: previous.thread_ts } }
          : {}),
      });
      return;
    }
    if (e.message.bot_id) return; // our own answers being written, or another bot's
    await applyEditedMessage(deps, {
      teamId,
      channelId: e.channel,
      ts: e.message.ts,
      threadTs: e.message.thread_ts,
      userId: e.message.user,
      text: e.message.text,
      request: withoutMention(e.message.text),
      previousText: e.previous_message?.text,
    });
  } catch (error) {
    deps.logger.error('could not apply a deleted or edited message', { teamId, error: errorSummary(error) });
    const delivery = eventDelivery(context);
    if (delivery) delivery.failed = true;
  }
}
