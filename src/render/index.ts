/**
 * Why this file exists: one import point for turning untrusted model Markdown into safe, Slack-sized
 * messages (mention neutralising, streaming-safe sanitising, message splitting). Pure functions only.
 */
export { exposeLinks, LinkSafeStream } from './link-safe-stream.js';
export { MentionSafeStream } from './mention-safe-stream.js';
export {
  DEFAULT_SPLIT_LIMITS,
  type SplitLimits,
  type SplitOp,
  StreamingMessageSplitter,
} from './message-splitter.js';
export {
  MAX_TOKEN_LOOKAHEAD,
  type MentionScan,
  neutraliseMentions,
  scanMentions,
  slackTextToPlain,
} from './sanitise.js';
export { applySplitOps, splitMarkdown, truncateForSlack } from './split-markdown.js';
