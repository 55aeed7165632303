import { type SplitLimits, type SplitOp, StreamingMessageSplitter } from './message-splitter.js';

/**
 * Why this file exists: some answers are complete before they are posted (fallbacks, retries, digests).
 * `splitMarkdown` drives the same `StreamingMessageSplitter` used while streaming, so a finished answer is
 * split exactly as it would have been live. `truncateForSlack` shortens one-line texts (titles, previews)
 * that have a fixed limit and need no splitting.
 */

/** Replays splitter operations into the list of message texts they describe. */
export function applySplitOps(ops: readonly SplitOp[]): string[] {
  const messages: string[] = [];
  let current = '';
  for (const op of ops) {
    if (op.kind === 'text') {
      current += op.text;
    } else {
      messages.push(current);
      current = '';
    }
  }
  if (current !== '') messages.push(current);
  return messages;
}

/** Splits a whole Markdown answer into Slack-sized messages (see message-splitter.ts for the rules). */
export function splitMarkdown(markdown: string, limits?: Partial<SplitLimits>): string[] {
  const splitter = new StreamingMessageSplitter(limits);
  return applySplitOps([...splitter.push(markdown), ...splitter.end()]);
}

/** Cuts `text` to at most `max` characters, at a word boundary where reasonable, ending with `…`. */
export function truncateForSlack(text: string, max: number): string {
  const limit = Math.floor(max);
  if (!(limit > 0)) return '';
  if (text.length <= limit) return text;
  if (limit === 1) return '…';
  let cut = limit - 1;
  const lastKept = text.charCodeAt(cut - 1);
  if (lastKept >= 0xd800 && lastKept <= 0xdbff) cut -= 1;
  let kept = text.slice(0, cut);
  if (!/\s/.test(text[cut] ?? '')) {
    const space = kept.search(/\s\S*$/);
    if (space >= Math.floor(cut / 2)) kept = kept.slice(0, space);
  }
  return `${kept.trimEnd()}…`;
}
