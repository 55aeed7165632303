import {
  type ChunkContent,
  checkBlocks,
  checkMarkdownText,
  hasProgressChunks,
  isRejection,
  LIMITS,
  type Rejection,
  readChunks,
} from '../limits.js';
import type { Method, SlackState } from '../state.js';
import type { Args, FakeMessage } from '../types.js';
import { fail, keyOf, ok, wireMessage } from '../wire.js';

/** chat.startStream, chat.appendStream and chat.stopStream: a message written in pieces. */

/** What a stream call adds: its markdown_text and chunks, within the 12,000-char budget of the message. */
function streamContent(state: SlackState, args: Args, charsSoFar: number): Rejection | ChunkContent {
  // refuseProgressChunks: a Slack that streams text but does not know task and plan chunks.
  if (state.progressChunkRefusal && hasProgressChunks(args.chunks)) {
    return {
      error: state.progressChunkRefusal,
      detail: 'task_update and plan_update chunks are not supported',
    };
  }
  const problem = checkMarkdownText(args.markdown_text);
  if (problem) return problem;
  const content = readChunks(args.chunks);
  if (isRejection(content)) return content;
  content.markdown = (args.markdown_text ?? '') + content.markdown;
  const total = charsSoFar + content.markdown.length;
  if (total > LIMITS.markdownText) {
    return {
      error: 'msg_too_long',
      detail: `stream would hold ${total} chars; at most ${LIMITS.markdownText}`,
    };
  }
  return content;
}

/** chat.startStream's task_display_mode: task cards in the text (timeline, the default) or one plan block. */
const TASK_DISPLAY_MODES = new Set(['timeline', 'plan']);

const startStream: Method = (state, args) => {
  if (state.streamingRefusal) return fail(state.streamingRefusal);
  const denied = state.access(args.channel);
  if (denied) return fail(denied);
  if (typeof args.thread_ts !== 'string' || !args.thread_ts) {
    return fail({ error: 'invalid_arguments', detail: 'thread_ts is required' });
  }
  // Outside DMs Slack must know whom the stream answers.
  if (/^[CG]/.test(args.channel) && !args.recipient_user_id) return fail('missing_recipient_user_id');
  if (/^[CG]/.test(args.channel) && !args.recipient_team_id) return fail('missing_recipient_team_id');
  if (args.task_display_mode !== undefined && !TASK_DISPLAY_MODES.has(String(args.task_display_mode))) {
    return fail({ error: 'invalid_arguments', detail: 'task_display_mode must be timeline or plan' });
  }
  const content = streamContent(state, args, 0);
  if (isRejection(content)) return fail(content);
  const message = state.store({
    ...state.botMessage(args.channel, args),
    markdown_text: content.markdown,
    blocks: content.blocks.length > 0 ? content.blocks : undefined,
    chunks: content.chunks,
    streaming_state: state.streamExpiry === 0 ? 'completed' : 'in_progress',
    task_display_mode: typeof args.task_display_mode === 'string' ? args.task_display_mode : undefined,
  });
  state.streams.set(keyOf(message.channel, message.ts), {
    appends: 0,
    markdownChars: content.markdown.length,
  });
  return ok({ channel: message.channel, ts: message.ts });
};

/** Common part of appendStream and stopStream: find the live stream and add this call's content. */
function addToStream(state: SlackState, args: Args, requireContent: boolean): Rejection | FakeMessage {
  const message = state.findIn(args, 'message_not_found');
  if (typeof message === 'string') return { error: message };
  const stream = state.streams.get(keyOf(message.channel, message.ts));
  if (stream?.stoppedByUser) return { error: 'stopped_by_user' };
  if (!stream || message.streaming_state !== 'in_progress')
    return { error: 'message_not_in_streaming_state' };
  if (requireContent && !args.markdown_text && !(Array.isArray(args.chunks) && args.chunks.length > 0)) {
    return { error: 'no_text' };
  }
  const content = streamContent(state, args, stream.markdownChars);
  if (isRejection(content)) return content;
  message.markdown_text = (message.markdown_text ?? '') + content.markdown;
  message.chunks = [...(message.chunks ?? []), ...content.chunks];
  if (content.blocks.length > 0) message.blocks = [...(message.blocks ?? []), ...content.blocks];
  stream.markdownChars += content.markdown.length;
  return message;
}

const appendStream: Method = (state, args) => {
  const message = addToStream(state, args, true);
  if (isRejection(message)) return fail(message);
  const stream = state.streams.get(keyOf(message.channel, message.ts));
  if (stream) stream.appends += 1;
  // expireStreamsAfterAppends: Slack can end a stream on its side (timeout); later appends then fail.
  if (stream && state.streamExpiry !== undefined && stream.appends >= state.streamExpiry) {
    message.streaming_state = 'completed';
  }
  return ok({ channel: message.channel, ts: message.ts });
};

const stopStream: Method = (state, args) => {
  const problem = args.blocks !== undefined ? checkBlocks(args.blocks) : undefined;
  if (problem) return fail(problem);
  const message = addToStream(state, args, false);
  if (isRejection(message)) return fail(message);
  if (Array.isArray(args.blocks)) message.blocks = [...(message.blocks ?? []), ...args.blocks];
  if (args.metadata !== undefined) message.metadata = args.metadata;
  message.streaming_state = 'completed';
  return ok({ channel: message.channel, ts: message.ts, message: wireMessage(message) });
};

export const streamMethods: Record<string, Method> = {
  'chat.startStream': startStream,
  'chat.appendStream': appendStream,
  'chat.stopStream': stopStream,
};
