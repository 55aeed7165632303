import { neutraliseMentions } from '../../render/index.js';
import type { DataDictionary, DictionaryRow } from './data-dictionary.js';

/**
 * Why this file exists: the data dictionary as the two things the thread gets: a CSV file (every row,
 * safe to open in a spreadsheet) and a compact Markdown table (capped, the CSV has the rest), plus the
 * check line naming what lacks a description. Descriptions are model text: in the CSV a cell that a
 * spreadsheet would run as a formula is neutralised, in Markdown cells cannot break the table nor
 * mention anyone. Pure.
 */

export const CSV_HEADER = ['table', 'column', 'type', 'nullable', 'key', 'description', 'pii', 'checks'];

/** RFC 4180: CRLF between records, a field quoted when it holds a comma, a quote, CR or LF. */
export function dictionaryCsv(dictionary: DataDictionary): string {
  const records = [CSV_HEADER, ...dictionary.rows.map(csvFields)];
  return `${records.map((fields) => fields.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

function csvFields(row: DictionaryRow): string[] {
  return [
    row.table,
    row.column,
    row.type,
    row.nullable ? 'yes' : 'no',
    row.key,
    row.description,
    row.pii ? 'yes' : 'no',
    row.checks.join('; '),
  ];
}

/**
 * Spreadsheets run a cell starting with = + - @ (or a tab or CR, which some strip first) as a formula:
 * such a cell gets a leading apostrophe (OWASP's advice). A spreadsheet set to split on ';' (many
 * locales) does not see our ',' quoting, so it starts a new cell after every ';' or ',' in the text:
 * a formula character right after one gets the apostrophe too. Then RFC 4180 quoting, also for ';'.
 */
export function csvCell(value: string): string {
  const safe = value.replace(/(^|[;,])(\s*)(?=[=+\-@\t\r])/g, "$1$2'");
  return /[",;\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export interface MarkdownLimits {
  /** Rows shown (over all tables); the rest are counted and left to the CSV. */
  maxRows: number;
  /** Characters kept of a description cell. */
  maxDescriptionChars: number;
  /** Characters kept of any other cell. */
  maxCellChars: number;
}

export const DEFAULT_MARKDOWN_LIMITS: MarkdownLimits = {
  maxRows: 40,
  maxDescriptionChars: 60,
  maxCellChars: 32,
};

/** One small table per database table; PII shown as 🔒, checks as a count. */
export function dictionaryMarkdown(
  dictionary: DataDictionary,
  limits: MarkdownLimits = DEFAULT_MARKDOWN_LIMITS,
): string {
  const parts: string[] = [];
  let shown = 0;
  const byTable = new Map<string, DictionaryRow[]>();
  for (const row of dictionary.rows) byTable.set(row.table, [...(byTable.get(row.table) ?? []), row]);
  for (const [table, rows] of byTable) {
    if (shown >= limits.maxRows) break;
    const about = dictionary.tableDescriptions.get(table) ?? '';
    parts.push(
      `**${cell(table, limits.maxCellChars)}**${about ? ` — ${cell(about, limits.maxDescriptionChars * 2)}` : ''}`,
    );
    parts.push(
      '| column | type | null | key | PII | description | checks |',
      '|---|---|---|---|---|---|---|',
    );
    for (const row of rows.slice(0, limits.maxRows - shown)) {
      parts.push(
        `| ${[
          cell(row.column, limits.maxCellChars),
          cell(row.type, limits.maxCellChars),
          row.nullable ? 'yes' : 'no',
          cell(row.key, limits.maxCellChars),
          row.pii ? '🔒' : '',
          cell(row.description, limits.maxDescriptionChars),
          row.checks.length > 0 ? String(row.checks.length) : '',
        ].join(' | ')} |`,
      );
      shown += 1;
    }
    parts.push('');
  }
  const left = dictionary.rows.length - shown;
  if (left > 0) parts.push(`_…and ${left} more column${left === 1 ? '' : 's'} in the CSV file._`);
  return parts.join('\n').trim();
}

/** The check line, or undefined when every table and column has a description. */
export function missingDescriptionsLine(dictionary: DataDictionary, maxNames = 8): string | undefined {
  const { missing } = dictionary;
  if (missing.length === 0) return undefined;
  const names = missing.slice(0, maxNames).map((name) => `\`${cell(name, 60)}\``);
  const more = missing.length > maxNames ? ` and ${missing.length - maxNames} more` : '';
  return `Data dictionary: ${missing.length} without a description: ${names.join(', ')}${more}.`;
}

/** One line, bounded, no live mentions, without characters that would end the cell or the table. */
function cell(value: string, max: number): string {
  const one = neutraliseMentions(value).replace(/\s+/g, ' ').trim();
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return cut.replace(/\|/g, '\\|').replace(/`/g, "'");
}
