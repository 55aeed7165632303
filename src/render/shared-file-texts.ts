import type { ColumnProfile } from '../core/files/loaded-file.js';
import { neutraliseMentions } from './sanitise.js';

/**
 * Why this file exists: the words about files shared in a thread: the bot's one reply per file (read, or
 * not read and why) and the summary the agent gets in its input (tables, columns, profiles), bounded.
 * File names are chosen by people: in a reply they sit in a code span, stripped of what could break out of
 * it or become a link or mention (backticks, angle brackets, `&`, control characters) and cut short.
 */

const FILE_NAME_MAX = 80;

/** A person's file name, safe inside a code span of a bot post. */
export function fileNameCode(name: string): string {
  const text = name
    .normalize('NFKC')
    .replace(/[`<>&]/g, '')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  const short = chars.length > FILE_NAME_MAX ? `${chars.slice(0, FILE_NAME_MAX - 1).join('')}…` : text;
  return `\`${short || 'file'}\``;
}

const count = (n: number) => n.toLocaleString('en-US');

export function rowsByColumns(rows: number, columns: number): string {
  return `${count(rows)} ${rows === 1 ? 'row' : 'rows'} × ${count(columns)} ${columns === 1 ? 'column' : 'columns'}`;
}

export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}

/** The bot's reply for a file it loaded: "Read `orders.csv` → table `orders_csv` (1,204 rows × 5 columns)." */
export function fileReadText(name: string, table: string, detail: string): string {
  return `:page_facing_up: Read ${fileNameCode(name)} → table \`${table}\` (${detail}). I can query it in my sandbox.`;
}

/** The bot's reply for a `.sql` file: offered to the agent as text. */
export function sqlFileReadText(name: string): string {
  return `:page_facing_up: Read ${fileNameCode(name)} as SQL text; I will take it into account.`;
}

const REASON_MAX = 300;

/**
 * A refusal reason as the model may read it: control characters gone, cut short. Reasons are our own
 * fixed sentences, masked for personal data by the use case (core/files/load-thread-files.ts) before they
 * are stored; this is the second wall in case one ever carries file content.
 */
export function plainReason(reason: string): string {
  const text = reason
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  return chars.length > REASON_MAX ? `${chars.slice(0, REASON_MAX - 1).join('')}…` : text;
}

/** A refusal reason safe in a bot post: no live mention, and `&<>` escaped (no link or token). */
export function postableReason(reason: string): string {
  return neutraliseMentions(plainReason(reason))
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

/** The bot's reply for a file it did not read: "Not read: `orders.csv` is not CSV: it looks like a PNG image." */
export function fileRefusedText(name: string, reason: string): string {
  return `:warning: Not read: ${fileNameCode(name)} is ${postableReason(reason)}.`;
}

/** Files named in one refusal line at most; the rest are counted. */
const NAMES_PER_LINE = 10;

/** Several files refused for one reason: "Not read: `a.csv`, `b.csv` and 3 more are over the limit …". */
export function filesRefusedText(names: readonly string[], reason: string): string {
  const shown = names.slice(0, NAMES_PER_LINE).map(fileNameCode).join(', ');
  const more = names.length - Math.min(names.length, NAMES_PER_LINE);
  return `:warning: Not read: ${shown}${more > 0 ? ` and ${more} more` : ''} are ${postableReason(reason)}.`;
}

/** One file as the agent sees it in its input. */
export type FileNoteEntry =
  | { kind: 'table'; name: string; table: string; rows: number; columns: ColumnProfile[] }
  | { kind: 'sql'; name: string; text: string; truncated: boolean; check?: string }
  | { kind: 'refused'; name: string; reason: string };

/** Most characters of the files summary in one turn's input (~2,000 tokens). */
export const FILES_NOTE_MAX_CHARS = 8_000;
const COLUMNS_PER_TABLE = 40;

function percent(share: number): string {
  const p = share * 100;
  return `${p > 0 && p < 1 ? '<1' : Math.round(p)}% null`;
}

function columnLine(c: ColumnProfile): string {
  const range = c.min !== undefined && c.max !== undefined ? `, ${c.min} … ${c.max}` : '';
  return `${c.name} ${c.type} (${percent(c.nullShare)}, ~${count(c.distinct)} distinct${range})`;
}

function entryText(entry: FileNoteEntry): string {
  switch (entry.kind) {
    case 'table': {
      const shown = entry.columns.slice(0, COLUMNS_PER_TABLE).map(columnLine);
      const more = entry.columns.length - shown.length;
      return [
        `- ${entry.name} → table \`${entry.table}\`, ${rowsByColumns(entry.rows, entry.columns.length)}: ${shown.join('; ')}${more > 0 ? `; … ${more} more columns` : ''}`,
      ].join('\n');
    }
    case 'sql':
      return `- ${entry.name} (SQL text${entry.truncated ? ', cut short' : ''}${entry.check ? `; ${entry.check}` : ''}):\n\`\`\`sql\n${entry.text}\n\`\`\``;
    case 'refused':
      return `- ${entry.name}: not read, ${plainReason(entry.reason)}`;
  }
}

/**
 * The summary appended to the turn's input: what is loaded and how to query it, within `maxChars` (entries
 * past the budget are named only; a long SQL text is cut first).
 */
export function filesNote(entries: readonly FileNoteEntry[], maxChars = FILES_NOTE_MAX_CHARS): string {
  if (entries.length === 0) return '';
  const head =
    'Files in this thread, loaded into your sandbox (query them with run_sql; the tables stay loaded for the whole thread; the profile below is aggregates, with min … max only where they are not personal data; personal data in run_sql results comes back masked):';
  const lines = [head];
  let used = head.length;
  for (const [index, entry] of entries.entries()) {
    let text = entryText(entry);
    if (used + text.length + 1 > maxChars && entry.kind === 'sql') {
      const room = Math.max(0, maxChars - used - entry.name.length - 80);
      text = entryText({ ...entry, text: entry.text.slice(0, room), truncated: true });
    }
    if (used + text.length + 1 > maxChars) {
      const rest = entries.slice(index).map((e) => (e.kind === 'table' ? `\`${e.table}\`` : e.name));
      lines.push(`- (not described here, for length: ${rest.join(', ')})`);
      break;
    }
    lines.push(text);
    used += text.length + 1;
  }
  return lines.join('\n');
}
