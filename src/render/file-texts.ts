import { exposeLinks } from './link-safe-stream.js';
import { neutraliseMentions } from './sanitise.js';

/**
 * Why this file exists: a file's title and the comment that introduces it in the thread carry model
 * text (names the agent chose, descriptions, check results). They go through the same sanitising as
 * answers: every link shows its address, no Slack token survives, no mention or broadcast is live.
 * Pure.
 */

/** Slack's initial_comment is message text; ours stay far below its limit. */
export const MAX_FILE_COMMENT_CHARS = 3_000;
export const MAX_FILE_TITLE_CHARS = 120;

export function safeFileComment(text: string): string {
  const safe = neutraliseMentions(exposeLinks(text)).trim();
  return safe.length > MAX_FILE_COMMENT_CHARS ? `${safe.slice(0, MAX_FILE_COMMENT_CHARS - 1)}…` : safe;
}

/** One line of plain text: no `<`, `>`, `|`, backticks or live mentions, cut to a title's length. */
export function safeFileTitle(text: string): string {
  const plain = neutraliseMentions(
    text
      .replace(/[\r\n\t]+/g, ' ')
      .replace(/[<>`|]/g, '')
      .trim(),
  );
  return plain.length > MAX_FILE_TITLE_CHARS ? `${plain.slice(0, MAX_FILE_TITLE_CHARS - 1)}…` : plain;
}
