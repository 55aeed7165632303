import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { luhnValid, piiKindOfColumn } from '../core/data-sources/pii-mask.js';
import type { ColumnProfile, FileLoadOutcome, SharedFileFormat } from '../core/files/loaded-file.js';
import { loadFailureReason } from './file-load-failure.js';
import { type Decision, decide, type FileSample, HEAD_BYTES, sniff } from './file-sniff.js';
import { parseDuckDB, parsePostgres } from './parsers.js';

/**
 * Why this file exists: turns a file staged on disk into a table of a sandbox session, inside the sandbox
 * child. The session's own database never gets file access (its escape tests stay as they are): a
 * throw-away loader database reads the one staged file — `allowed_paths` holds that path alone, then
 * `enable_external_access=false` and the configuration are locked before it runs anything — and its
 * result's data chunks are appended to the session's table. Only our own fixed SQL ever runs in the
 * loader; the path is ours (`<private dir>/f1.bin`), never the person's file name.
 */

export interface StagedFile {
  path: string;
  /** For messages only. */
  name: string;
  table: string;
  claimed: SharedFileFormat | undefined;
}

export interface LoadLimits {
  memoryLimit: string;
  threads: number;
  /** Loading and profiling one file may take this long. */
  timeoutMs: number;
}

/** A `.sql` file is offered as text up to this many characters. */
export const MAX_SQL_TEXT_CHARS = 20_000;
/** Columns a loaded table may have. */
const MAX_COLUMNS = 1_000;
/** Columns profiled and reported per table (the rest are counted in the summary). */
const MAX_PROFILED_COLUMNS = 200;
const MAX_VALUE_CHARS = 40;

export async function loadStagedFile(
  target: DuckDBConnection,
  file: StagedFile,
  limits: LoadLimits,
): Promise<FileLoadOutcome> {
  const sample = await readSample(file.path);
  const decision = decide(file.claimed, sniff(sample));
  if (!decision.ok) return decision;
  if (decision.format === 'sql') return readSqlText(file.path, sample.size);
  if (decision.format === 'json' && sample.jsonDepth > MAX_JSON_DEPTH)
    return { ok: false, reason: `not valid JSON: nested too deeply (more than ${MAX_JSON_DEPTH} levels)` };
  const read = readSql(file.path, decision);
  const loader = await openLoader(file.path, limits);
  let interrupted = false;
  const timer = setTimeout(() => {
    interrupted = true;
    loader.connection.interrupt();
    target.interrupt();
  }, limits.timeoutMs);
  try {
    if (decision.format === 'parquet') await checkParquetSize(loader.connection, file.path);
    await copyInto(loader.connection, target, read, file.table);
    const profile = await profileTable(target, file.table);
    return { ok: true, format: decision.format, table: file.table, bytes: sample.size, ...profile };
  } catch (error) {
    await target.run(`DROP TABLE IF EXISTS ${quoteIdent(file.table)}`).catch(() => undefined);
    if (interrupted) return { ok: false, reason: `too slow to load (over ${limits.timeoutMs / 1000} s)` };
    return { ok: false, reason: loadFailure(decision.format, error) };
  } finally {
    clearTimeout(timer);
    loader.close();
  }
}

/** Our own fixed query reading the staged file (its path is ours, quoted). */
function readSql(path: string, decision: Extract<Decision, { ok: true }>): string {
  const source = quoteString(path);
  if (decision.format === 'parquet') return `SELECT * FROM read_parquet(${source})`;
  if (decision.format === 'json') return `SELECT * FROM read_json(${source}, format = 'auto')`;
  const delimiter = 'delimiter' in decision ? decision.delimiter : ',';
  return `SELECT * FROM read_csv(${source}, delim = ${quoteString(delimiter)}, auto_detect = true)`;
}

/** The first bytes, the last four, the size, and what one streamed pass over all of it found (not held). */
async function readSample(path: string): Promise<FileSample & { jsonDepth: number }> {
  const { size } = await stat(path);
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(Math.min(size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    const tail = new Uint8Array(Math.min(size, 4));
    await handle.read(tail, 0, tail.length, size - tail.length);
    const pass = await scanText(path);
    return { head, tail, size, ...pass };
  } finally {
    await handle.close();
  }
}

/**
 * JSON nested deeper than this is refused before DuckDB sees it: `[`×100,000 in a 200 KB file crashed
 * the sandbox child inside read_json (a stack overflow), taking the session's other tables with it.
 * Real data files nest a handful of levels.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * One streamed pass: whether the whole file is UTF-8 text without NUL bytes, and the deepest nesting of
 * `[`/`{` outside JSON strings (only used when the file is read as JSON).
 */
async function scanText(path: string): Promise<{ utf8: boolean; jsonDepth: number }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let utf8 = true;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let escaped = false;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    const bytes = chunk as Buffer;
    if (utf8) {
      try {
        if (bytes.includes(0)) utf8 = false;
        else decoder.decode(bytes, { stream: true });
      } catch {
        utf8 = false;
      }
    }
    if (!utf8) return { utf8, jsonDepth: deepest };
    for (let i = 0; i < bytes.length; i += 1) {
      const byte = bytes[i] as number;
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === 0x5c) escaped = true;
        else if (byte === 0x22) inString = false;
      } else if (byte === 0x22) inString = true;
      else if (byte === 0x5b || byte === 0x7b) {
        depth += 1;
        if (depth > deepest) deepest = depth;
      } else if ((byte === 0x5d || byte === 0x7d) && depth > 0) depth -= 1;
    }
  }
  try {
    decoder.decode();
  } catch {
    utf8 = false;
  }
  return { utf8, jsonDepth: deepest };
}

async function readSqlText(path: string, size: number): Promise<FileLoadOutcome> {
  const handle = await open(path, 'r');
  try {
    // Four bytes per character at most: enough bytes for MAX_SQL_TEXT_CHARS characters.
    const bytes = new Uint8Array(Math.min(size, MAX_SQL_TEXT_CHARS * 4));
    await handle.read(bytes, 0, bytes.length, 0);
    const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
    const truncated = text.length > MAX_SQL_TEXT_CHARS || bytes.length < size;
    const kept = text.slice(0, MAX_SQL_TEXT_CHARS);
    const check = truncated ? undefined : await parserVerdicts(kept);
    return { ok: true, format: 'sql', text: kept, truncated, bytes: size, ...(check ? { check } : {}) };
  } finally {
    await handle.close();
  }
}

/**
 * The engines' own parsers on a shared .sql file (cheap: nothing runs). Its dialect is unknown, so this is
 * told to the agent as information, never shown to people as a ✗.
 */
async function parserVerdicts(text: string): Promise<string> {
  const verdicts: string[] = [];
  for (const [name, parse] of [
    ['DuckDB', parseDuckDB],
    ['PostgreSQL', parsePostgres],
  ] as const) {
    const outcome = await parse(text).catch(() => undefined);
    if (outcome?.ok === true) verdicts.push(`${name}'s parser accepts it`);
    else if (outcome?.ok === false)
      verdicts.push(`${name}'s parser: ${outcome.line ? `line ${outcome.line}: ` : ''}${outcome.error}`);
  }
  return verdicts.join('; ');
}

/**
 * The loader's memory: half of the session's, at least 128 MB (DuckDB's CSV reader streams through two
 * ~30 MB buffers; 64 MB failed on a two-line file). It only streams chunks into the session, and both
 * live in the one child, whose resident memory is capped at memoryLimit plus headroom.
 */
export function loaderMemory(memoryLimit: string): string {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$/i.exec(memoryLimit);
  if (!match) return memoryLimit;
  const unit = (match[2] ?? 'B').toUpperCase().replace('I', '');
  const factor = { B: 1 / 1_048_576, KB: 1 / 1024, MB: 1, GB: 1024, TB: 1024 * 1024 }[unit] ?? 1;
  return `${Math.max(128, Math.floor((Number(match[1]) * factor) / 2))}MB`;
}

/** A database that can read exactly one path and nothing else, with its settings locked. */
async function openLoader(path: string, limits: LoadLimits) {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    memory_limit: loaderMemory(limits.memoryLimit),
    max_temp_directory_size: '0B',
    threads: String(limits.threads),
  });
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    // DuckDB refuses allowed_paths once external access is off, so the order matters; then nothing changes.
    await connection.run(`SET allowed_paths = [${quoteString(path)}]`);
    await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');
  } catch (error) {
    close();
    throw error;
  }
  return { connection, close };
}

/** Streams the loader's result into a new table of the session, chunk by chunk (columnar, no rows in JS). */
async function copyInto(
  loader: DuckDBConnection,
  target: DuckDBConnection,
  read: string,
  table: string,
): Promise<void> {
  const result = await loader.stream(read);
  const names = result.columnNames();
  const types = result.columnTypes();
  if (names.length > MAX_COLUMNS)
    throw new LoadRefusal(`too wide (${names.length} columns; at most ${MAX_COLUMNS})`);
  const columns = names.map((name, i) => `${quoteIdent(name)} ${types[i]?.toString() ?? 'VARCHAR'}`);
  await target.run(`CREATE TABLE ${quoteIdent(table)} (${columns.join(', ')})`);
  const appender = await target.createAppender(table);
  let rows = 0;
  try {
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      rows += chunk.rowCount;
      if (rows > MAX_FILE_ROWS) throw new LoadRefusal(tooManyRows());
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

class LoadRefusal extends Error {}

/**
 * Rows a file may have. A few KB of Parquet can declare 150 million rows (one repeated value), which
 * took 25 s and 544 MB to load, again before every answer; no file someone drops in a thread to
 * design from needs more than this. Checked from Parquet's metadata before reading, and counted while
 * appending for every format.
 */
export const MAX_FILE_ROWS = 10_000_000;
/** Parquet whose data is this many times larger uncompressed than stored is refused (a compression bomb)… */
const MAX_PARQUET_RATIO = 50;
/** …once it is at least this large uncompressed (a small file of repeated values compresses that well too). */
const RATIO_FLOOR_BYTES = 64 * 1024 * 1024;

const tooManyRows = () => `too long (more than ${MAX_FILE_ROWS.toLocaleString('en-US')} rows)`;

/** Refuses a Parquet file by what its footer declares, before a row is read. */
async function checkParquetSize(loader: DuckDBConnection, path: string): Promise<void> {
  const source = quoteString(path);
  const meta = await loader.runAndReadAll(
    `SELECT (SELECT sum(num_rows) FROM parquet_file_metadata(${source}))::DOUBLE AS n,
            sum(total_compressed_size)::DOUBLE AS packed, sum(total_uncompressed_size)::DOUBLE AS unpacked
     FROM parquet_metadata(${source})`,
  );
  const row = meta.getRowObjects()[0] ?? {};
  const rows = Number(row.n ?? 0);
  const packed = Number(row.packed ?? 0);
  const unpacked = Number(row.unpacked ?? 0);
  if (rows > MAX_FILE_ROWS) throw new LoadRefusal(tooManyRows());
  if (unpacked >= RATIO_FLOOR_BYTES && unpacked > packed * MAX_PARQUET_RATIO)
    throw new LoadRefusal(
      `a compression bomb (${Math.round(unpacked / Math.max(packed, 1))}× larger unpacked)`,
    );
}

/** Rows, and per column its type, null share, approximate distinct count, and min/max where safe. */
async function profileTable(
  target: DuckDBConnection,
  table: string,
): Promise<{ rows: number; columns: ColumnProfile[] }> {
  const summary = (await target.runAndReadAll(`SUMMARIZE ${quoteIdent(table)}`)).getRowObjects();
  const rowsResult = await target.runAndReadAll(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
  const rows = Number(rowsResult.getRowObjects()[0]?.n ?? 0);
  const columns = summary.slice(0, MAX_PROFILED_COLUMNS).map((row) => {
    const type = String(row.column_type);
    const nulls = Number(String(row.null_percentage ?? 0));
    const profile: ColumnProfile = {
      name: bounded(String(row.column_name)),
      type: bounded(type),
      nullShare: Number.isFinite(nulls) ? nulls / 100 : 0,
      distinct: Number(row.approx_unique ?? 0),
    };
    // A text column's min/max would be some person's value: only numbers, dates and times are shown,
    // and not those of personal data either (see rangeIsSafe).
    if (
      ORDERED_TYPES.test(type) &&
      row.min !== null &&
      row.max !== null &&
      rangeIsSafe(String(row.column_name), row)
    ) {
      profile.min = bounded(String(row.min));
      profile.max = bounded(String(row.max));
    }
    return profile;
  });
  return { rows, columns };
}

const ORDERED_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*|DATE|TIME.*|TIMESTAMP.*)$/;

/** Birth dates hide under many names (`born_on` is metadata-worded for piiKindOfColumn). */
const BIRTH_NAME = /birth|born|dob|bday/i;

/**
 * Whether a column's min and max may be shown: not when its name says personal data (card_number, phone,
 * dob…), nor when a bound is an integer that could be a card number (13+ digits, Luhn-valid) or a phone
 * number (10–15 digits: E.164 without its `+`). The model can still count and group such columns.
 */
function rangeIsSafe(name: string, row: Record<string, unknown>): boolean {
  if (piiKindOfColumn(name) !== undefined || BIRTH_NAME.test(name)) return false;
  return [row.min, row.max].every((bound) => {
    const digits = String(bound).replace(/^[-+]/, '').replace(/\.0*$/, '');
    if (!/^\d+$/.test(digits)) return true;
    const phoneLike = digits.length >= 10 && digits.length <= 15;
    const cardLike = digits.length >= 13 && luhnValid(digits);
    return !phoneLike && !cardLike;
  });
}

function bounded(value: string): string {
  return value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS - 1)}…` : value;
}

function loadFailure(format: string, error: unknown): string {
  if (error instanceof LoadRefusal) return error.message;
  // DuckDB's message quotes the file's content: it is classified, never copied (file-load-failure.ts).
  return loadFailureReason(format, error instanceof Error ? error.message : String(error));
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
