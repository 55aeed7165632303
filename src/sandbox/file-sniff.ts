import type { SharedFileFormat } from '../core/files/loaded-file.js';

/**
 * Why this file exists: a shared file's type comes from its bytes, never from its name. Parquet has `PAR1`
 * at both ends; JSON starts with `[` or `{` (an array, an object, or NDJSON lines); CSV/TSV is valid UTF-8
 * text whose lines have the same number of one delimiter (counted outside double quotes). Known binary
 * formats are named, so the refusal says what the file looks like ("it looks like a PNG image").
 */

/** What the bytes are. */
export type Sniffed =
  | { kind: 'parquet' }
  | { kind: 'json' }
  | { kind: 'delimited'; delimiter: string; columns: number }
  | { kind: 'text' }
  | { kind: 'binary'; looksLike: string };

/** What the loader reads: enough to decide, without holding the whole file. */
export interface FileSample {
  /** The first bytes (up to HEAD_BYTES). */
  head: Uint8Array;
  /** The last 4 bytes (fewer for a tiny file). */
  tail: Uint8Array;
  size: number;
  /** The whole file decoded as UTF-8 without error and holds no NUL byte. */
  utf8: boolean;
}

export const HEAD_BYTES = 64 * 1024;

const MAGIC: { bytes: number[]; looksLike: string }[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], looksLike: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], looksLike: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], looksLike: 'a GIF image' },
  { bytes: [0x25, 0x50, 0x44, 0x46], looksLike: 'a PDF document' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], looksLike: 'a ZIP archive (an Excel or other Office file is one)' },
  { bytes: [0x1f, 0x8b], looksLike: 'a gzip archive' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], looksLike: 'a SQLite database' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], looksLike: 'a program (ELF)' },
];

const PAR1 = [0x50, 0x41, 0x52, 0x31];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}

export function sniff(sample: FileSample): Sniffed {
  const { head, tail } = sample;
  if (startsWith(head, PAR1)) {
    return sample.size >= 8 && startsWith(tail, PAR1)
      ? { kind: 'parquet' }
      : { kind: 'binary', looksLike: 'a truncated Parquet file' };
  }
  const magic = MAGIC.find((m) => startsWith(head, m.bytes));
  if (magic) return { kind: 'binary', looksLike: magic.looksLike };
  if (!sample.utf8) return { kind: 'binary', looksLike: 'binary data, not UTF-8 text' };
  const text = new TextDecoder('utf-8').decode(head).replace(/^\uFEFF/, '');
  const first = text.trimStart()[0];
  if (first === '[' || first === '{') return { kind: 'json' };
  // A head cut mid-file ends mid-line: that last line is not counted.
  const complete = sample.size > head.length ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
  return delimited(complete) ?? { kind: 'text' };
}

const DELIMITERS = [',', '\t', ';', '|'];
const SAMPLE_LINES = 50;

/** The delimiter every sampled line has the same (non-zero) number of, or one column when none has any. */
function delimited(text: string): Sniffed | undefined {
  const lines = text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(0, SAMPLE_LINES);
  if (lines.length === 0) return undefined;
  for (const delimiter of DELIMITERS) {
    const counts = lines.map((line) => countOutsideQuotes(line, delimiter));
    const firstCount = counts[0] ?? 0;
    if (firstCount > 0 && counts.every((c) => c === firstCount)) {
      return { kind: 'delimited', delimiter, columns: firstCount + 1 };
    }
  }
  const noneAnywhere = lines.every((line) => DELIMITERS.every((d) => countOutsideQuotes(line, d) === 0));
  return noneAnywhere && lines.length > 1 ? { kind: 'delimited', delimiter: ',', columns: 1 } : undefined;
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let inQuotes = false;
  let count = 0;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === delimiter && !inQuotes) count += 1;
  }
  return count;
}

const LABEL: Record<SharedFileFormat, string> = {
  csv: 'CSV',
  tsv: 'TSV',
  json: 'JSON',
  parquet: 'Parquet',
  sql: 'SQL text',
};

function describe(sniffed: Sniffed): string {
  switch (sniffed.kind) {
    case 'parquet':
      return 'a Parquet file';
    case 'json':
      return 'JSON';
    case 'delimited':
      return sniffed.delimiter === '\t' ? 'TSV text' : `text separated by "${sniffed.delimiter}"`;
    case 'text':
      return 'text without a consistent delimiter';
    case 'binary':
      return sniffed.looksLike;
  }
}

export type Decision =
  | { ok: true; format: 'parquet' | 'json' | 'sql' }
  | { ok: true; format: 'csv' | 'tsv'; delimiter: string }
  | { ok: false; reason: string };

/** What the file is read as, given what its name claims and what its bytes are. */
export function decide(claimed: SharedFileFormat | undefined, sniffed: Sniffed): Decision {
  const mismatch = (format: SharedFileFormat): Decision => ({
    ok: false,
    reason: `not ${LABEL[format]}: it looks like ${describe(sniffed)}`,
  });
  const asDelimited = (s: Extract<Sniffed, { kind: 'delimited' }>): Decision => ({
    ok: true,
    format: s.delimiter === '\t' ? 'tsv' : 'csv',
    delimiter: s.delimiter,
  });
  switch (claimed) {
    case 'parquet':
      return sniffed.kind === 'parquet' ? { ok: true, format: 'parquet' } : mismatch('parquet');
    case 'json':
      return sniffed.kind === 'json' ? { ok: true, format: 'json' } : mismatch('json');
    case 'sql':
      return sniffed.kind === 'binary' || sniffed.kind === 'parquet'
        ? mismatch('sql')
        : { ok: true, format: 'sql' };
    case 'csv':
    case 'tsv':
      return sniffed.kind === 'delimited' ? asDelimited(sniffed) : mismatch(claimed);
    case undefined:
      if (sniffed.kind === 'parquet' || sniffed.kind === 'json') return { ok: true, format: sniffed.kind };
      if (sniffed.kind === 'delimited' && sniffed.columns > 1) return asDelimited(sniffed);
      return {
        ok: false,
        reason: `not a type the bot reads (CSV, TSV, JSON, Parquet or .sql): it looks like ${describe(sniffed)}`,
      };
  }
}
