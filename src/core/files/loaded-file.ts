/**
 * Why this file exists: what a file shared in a thread becomes in the answer's sandbox (the port between
 * the files use case and the sandbox adapter). Pure types: no SDK, no file system.
 */

/** The formats the bot reads. The name may claim one; the content decides (src/sandbox/file-sniff.ts). */
export type SharedFileFormat = 'csv' | 'tsv' | 'json' | 'parquet' | 'sql';

/** One column of a loaded table: aggregates, never a row (min/max only where not personal data). */
export interface ColumnProfile {
  name: string;
  type: string;
  /** Share of nulls, 0–1. */
  nullShare: number;
  /** DuckDB's approximate distinct count. */
  distinct: number;
  /**
   * Only for numbers, dates and times (a text column's min/max would be a person's value), and not for a
   * column named as personal data nor one whose bounds look like card or phone numbers.
   */
  min?: string;
  max?: string;
}

/** A file to load, its bytes streamed from Slack by `open` (the adapter stops reading past maxBytes). */
export interface FileToLoad {
  /** The name the person gave it (for messages only; never a path). */
  name: string;
  /** The sandbox table it becomes (already sanitised and unique). */
  table: string;
  /** What the name says it is, if it says. */
  claimed: SharedFileFormat | undefined;
  /** Stop reading and refuse the file past this many bytes (min of the declared size and the limit). */
  maxBytes: number;
  /** Why a file over maxBytes is refused ("larger than Slack said it was", "larger than 50 MB"). */
  overLimitReason: string;
  open(signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}

export type FileLoadOutcome =
  | {
      ok: true;
      format: Exclude<SharedFileFormat, 'sql'>;
      table: string;
      rows: number;
      columns: ColumnProfile[];
      bytes: number;
    }
  /** A `.sql` file: offered to the agent as text (bounded), not loaded. */
  | {
      ok: true;
      format: 'sql';
      text: string;
      truncated: boolean;
      bytes: number;
      /** What the engines' own parsers (DuckDB, PostgreSQL) say of it, for the agent; absent if cut short. */
      check?: string;
    }
  /**
   * `reason` reads after "`name` is …", e.g. "not CSV: it looks like a PNG image". `transient`: the file
   * itself was not judged (the sandbox stopped over another file, a download timed out): it is tried
   * again on the next answer, and nothing is posted about it now.
   */
  | { ok: false; reason: string; transient?: boolean };
