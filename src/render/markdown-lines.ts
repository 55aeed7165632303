/**
 * Line-level Markdown facts the message splitter needs: code fences, headings, where a cut may fall
 * without splitting a word, an emoji or a broadcast word. Pure helpers, split out of the splitter.
 */
/** Leading whitespace allowed before a fence marker (lists nest fences). */
export const MAX_FENCE_INDENT = 64;
/** Characters at the end of the current message held back so a cut can land on a space. */
export const MAX_CUT_WINDOW = 200;
/** Longer lines are never treated as fence lines (real ones are short; this bounds what is held back). */
export const MAX_FENCE_LINE = 256;

export interface Fence {
  char: '`' | '~';
  length: number;
  indent: string;
  /** The opening line, without its newline, used to re-open the fence in the next message. */
  openLine: string;
}

export type LineKind = { kind: 'plain' } | { kind: 'open'; fence: Fence } | { kind: 'close' };

export const PLAIN: LineKind = { kind: 'plain' };
export const BROADCAST_END = /(?:^|[^\p{L}\p{N}_])@(?:channel|here|everyone)$/iu;
export const BROADCAST_START = /^@(?:channel|here|everyone)(?![\p{L}\p{N}_])/iu;
export const WORDISH = /[\p{L}\p{N}_@]/u;

export function isHighSurrogate(ch: string | undefined): boolean {
  if (ch === undefined || ch === '') return false;
  const code = ch.charCodeAt(0);
  return code >= 0xd800 && code <= 0xdbff;
}

export function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n';
}

export function isWordish(ch: string | undefined): boolean {
  return ch !== undefined && ch !== '' && WORDISH.test(ch);
}
/**
 * Whether a line (known so far) starts with a fence marker: true, false, or 'wait' while the first
 * characters are not known yet.
 */
export function fenceCandidate(line: string, complete: boolean): boolean | 'wait' {
  const indent = /^[ \t]*/.exec(line)?.[0].length ?? 0;
  if (indent > MAX_FENCE_INDENT) return false;
  const start = line.slice(indent, indent + 3);
  if (start === '') return complete ? false : 'wait';
  const ch = start[0];
  if (ch !== '`' && ch !== '~') return false;
  if (start === ch.repeat(3)) return true;
  return !complete && start === ch.repeat(start.length) ? 'wait' : false;
}

export function classifyFenceLine(rawLine: string, fence: Fence | undefined): LineKind {
  const line = rawLine.replace(/\r$/, '');
  if (fence) {
    const close = /^[ \t]*(`+|~+)[ \t]*$/.exec(line);
    const marker = close?.[1];
    return marker && marker[0] === fence.char && marker.length >= fence.length ? { kind: 'close' } : PLAIN;
  }
  const open = /^([ \t]*)(`{3,}|~{3,})(.*)$/.exec(line);
  const indent = open?.[1];
  const marker = open?.[2];
  const info = open?.[3] ?? '';
  if (indent === undefined || marker === undefined) return PLAIN;
  const char = marker[0] === '~' ? '~' : '`';
  if (char === '`' && info.includes('`')) return PLAIN;
  return { kind: 'open', fence: { char, length: marker.length, indent, openLine: line } };
}

export function isHeading(line: string, complete: boolean): boolean {
  return complete ? /^ {0,3}#{1,6}(?:[ \t\r]|$)/.test(line) : /^ {0,3}#{1,6}[ \t]/.test(line);
}
