import { checkMessage, LIMITS } from '../limits.js';
import type { Method } from '../state.js';
import { compact, dropUndefined, fail, ok, wireMessage } from '../wire.js';

/** chat.postMessage, chat.update, chat.delete, chat.postEphemeral and chat.getPermalink. */

const postMessage: Method = (state, args) => {
  const problem = state.access(args.channel) ?? checkMessage(args, LIMITS.postText);
  if (problem) return fail(problem);
  const message = state.store({
    ...state.botMessage(args.channel, args),
    text: args.text,
    markdown_text: args.markdown_text,
    blocks: args.blocks,
    attachments: args.attachments,
  });
  return ok({ channel: message.channel, ts: message.ts, message: wireMessage(message) });
};

const update: Method = (state, args) => {
  const message = state.ownMessage(args, 'cant_update_message');
  if (typeof message === 'string') return fail(message);
  if (message.streaming_state === 'in_progress') return fail('streaming_state_conflict');
  const problem = checkMessage(args, LIMITS.shortText);
  if (problem) return fail(problem);
  // markdown_text replaces everything; otherwise text is replaced and blocks kept unless given (Slack docs).
  if (args.markdown_text !== undefined) {
    Object.assign(message, { markdown_text: args.markdown_text, text: undefined, blocks: undefined });
  } else {
    message.markdown_text = undefined;
    if (args.text !== undefined) message.text = args.text;
    if (args.blocks !== undefined) message.blocks = args.blocks;
  }
  if (args.metadata !== undefined) message.metadata = args.metadata;
  message.edits += 1;
  dropUndefined(message);
  return ok({
    channel: message.channel,
    ts: message.ts,
    text: message.text ?? '',
    message: wireMessage(message),
  });
};

const deleteMessage: Method = (state, args) => {
  const message = state.ownMessage(args, 'cant_delete_message');
  if (typeof message === 'string') return fail(message);
  state.remove(message);
  return ok({ channel: message.channel, ts: message.ts });
};

const postEphemeral: Method = (state, args) => {
  const problem =
    state.access(args.channel) ??
    (typeof args.user === 'string' && args.user ? undefined : 'user_not_found') ??
    checkMessage(args, LIMITS.shortText);
  if (problem) return fail(problem);
  state.ephemerals.push(
    compact({
      channel: args.channel,
      user: args.user,
      text: args.text ?? args.markdown_text,
      blocks: args.blocks,
      thread_ts: args.thread_ts,
    }),
  );
  return ok({ message_ts: state.nextTs() });
};

const getPermalink: Method = (state, args) => {
  if (!state.channel(args.channel)) return fail('channel_not_found');
  const message = state.find(args.channel, args.message_ts);
  if (!message) return fail('message_not_found');
  const path = `https://fake-workspace.slack.com/archives/${message.channel}/p${message.ts.replace('.', '')}`;
  const thread = message.thread_ts ? `?thread_ts=${message.thread_ts}&cid=${message.channel}` : '';
  return ok({ channel: message.channel, permalink: path + thread });
};

export const chatMethods: Record<string, Method> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.delete': deleteMessage,
  'chat.postEphemeral': postEphemeral,
  'chat.getPermalink': getPermalink,
};
