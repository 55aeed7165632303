import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, VARCHAR } from '@duckdb/node-api';
import type { Cell } from '../core/data-sources/data-source.js';
import { toCell } from './cells.js';
import { judgeDuckDbTree } from './duckdb-guard.js';
import type { DuckDbChildSettings, ViewFacts } from './duckdb-protocol.js';

/**
 * Why this file exists: one DuckDB source inside its child process. At start it expands each configured
 * glob (while it still may list directories), allows exactly those files (`allowed_paths`, never
 * `allowed_directories`: an allowed directory is also writable by COPY), turns external access off and
 * locks the configuration, then creates one view per configured name. Every statement runs on a timer
 * that interrupts it; paths are scrubbed from every message it sends back.
 */

const q = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

function readerFor(file: string): string {
  if (/\.parquet$/i.test(file)) return 'read_parquet';
  if (/\.(json|jsonl|ndjson)(\.gz)?$/i.test(file)) return 'read_json_auto';
  return 'read_csv';
}

export class TimedOut extends Error {}
export class Refused extends Error {}

export class DuckDbEngine {
  private queue: Promise<unknown> = Promise.resolve();
  private running = false;
  private readonly secrets: string[];

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly settings: DuckDbChildSettings,
    readonly views: ViewFacts[],
    files: string[],
  ) {
    const all = [...Object.values(settings.paths), ...files];
    const dirs = all.map((p) => dirname(p)).filter((d) => d.length > 1);
    // Longest first, so a file is replaced before its directory.
    this.secrets = [...new Set([...all, ...dirs])].sort((a, b) => b.length - a.length);
  }

  static async open(settings: DuckDbChildSettings): Promise<DuckDbEngine> {
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      memory_limit: `${settings.memoryLimitMb}MB`,
      max_temp_directory_size: '0B',
      threads: '1',
    });
    const connection = await instance.connect();
    const filesOf = new Map<string, string[]>();
    for (const [name, pattern] of Object.entries(settings.paths)) {
      const reader = await connection.runAndReadAll(
        'SELECT file FROM glob($1::VARCHAR) ORDER BY file',
        [pattern],
        [VARCHAR],
      );
      filesOf.set(
        name,
        reader.getRows().map((r) => String(r[0])),
      );
    }
    const files = [...new Set([...filesOf.values()].flat())];
    // The lock-down: from here the process reads only these files, and nothing can change that.
    await connection.run(`SET allowed_paths = [${files.map(literal).join(', ')}]`);
    await connection.run(`SET temp_directory = ''`);
    await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');
    const engine = new DuckDbEngine(instance, connection, settings, [], files);
    for (const [name, list] of filesOf) engine.views.push(await engine.createView(name, list));
    return engine;
  }

  private async createView(name: string, files: string[]): Promise<ViewFacts> {
    const sizeBytes = files.reduce((sum, f) => {
      try {
        return sum + statSync(f).size;
      } catch {
        return sum;
      }
    }, 0);
    if (files.length === 0) return { name, files: 0, sizeBytes: 0, problem: 'no file matches its path' };
    const first = files[0] as string;
    const reader = readerFor(first);
    const list = `[${files.map(literal).join(', ')}]`;
    try {
      await this.connection.run(`CREATE VIEW ${q(name)} AS SELECT * FROM ${reader}(${list})`);
    } catch (error) {
      return {
        name,
        files: files.length,
        sizeBytes,
        problem: this.scrub((error as Error).message.split('\n')[0] ?? ''),
      };
    }
    let rowEstimate: number | undefined;
    if (reader === 'read_parquet') {
      try {
        const r = await this.connection.runAndReadAll(
          `SELECT sum(num_rows)::DOUBLE FROM parquet_file_metadata(${list})`,
        );
        rowEstimate = Number(r.getRows()[0]?.[0] ?? 0);
      } catch {
        rowEstimate = undefined;
      }
    }
    return { name, files: files.length, sizeBytes, ...(rowEstimate !== undefined ? { rowEstimate } : {}) };
  }

  /** Removes every configured path, file and directory from a message. */
  scrub(message: string): string {
    return this.secrets.reduce((text, secret) => text.split(secret).join('<file>'), message);
  }

  /** Calls run one after another on the one connection. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  interrupt(): void {
    if (this.running) this.connection.interrupt();
  }

  /** Runs `sql` with the statement timer; rows as JSON-safe cells. */
  private async timed(sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
    let interrupted = false;
    const timer = setTimeout(() => {
      interrupted = true;
      this.connection.interrupt();
    }, this.settings.statementTimeoutMs);
    this.running = true;
    try {
      const reader = await this.connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRows() as unknown[][] };
    } catch (error) {
      if (interrupted)
        throw new TimedOut(
          `the statement ran longer than ${this.settings.statementTimeoutMs / 1000} s and was interrupted`,
        );
      throw new Error(this.scrub((error as Error).message.split('\n')[0] ?? 'error'));
    } finally {
      this.running = false;
      clearTimeout(timer);
    }
  }

  /** The statement as DuckDB re-prints it from its own parse tree, once the guard admitted it. */
  private async guarded(sql: string): Promise<string> {
    const judged = await this.connection.runAndReadAll(
      'SELECT json_serialize_sql($1::VARCHAR)',
      [sql],
      [VARCHAR],
    );
    const outcome = judgeDuckDbTree(String(judged.getRows()[0]?.[0] ?? ''));
    if (!outcome.ok) throw new Refused(this.scrub(outcome.reason));
    const printed = await this.connection.runAndReadAll(
      'SELECT json_deserialize_sql(json_serialize_sql($1::VARCHAR))',
      [sql],
      [VARCHAR],
    );
    return String(printed.getRows()[0]?.[0] ?? '');
  }

  private cells(rows: unknown[][]): Cell[][] {
    return rows.map((row) =>
      row.map((v) => {
        const cell = toCell(v, this.settings.maxCellChars);
        return typeof cell === 'string' ? this.scrub(cell) : cell;
      }),
    );
  }

  query(sql: string, maxRows: number) {
    return this.serial(async () => {
      const statement = await this.guarded(sql);
      const result = await this.timed(`SELECT * FROM (${statement}) AS q LIMIT ${maxRows + 1}`);
      return {
        columns: result.columns,
        rows: this.cells(result.rows.slice(0, maxRows)),
        truncated: result.rows.length > maxRows,
      };
    });
  }

  explain(sql: string, analyze: boolean) {
    return this.serial(async () => {
      const statement = await this.guarded(sql);
      const result = await this.timed(`EXPLAIN ${analyze ? 'ANALYZE ' : ''}${statement}`);
      const valueAt = Math.max(result.columns.indexOf('explain_value'), 0);
      return { text: this.scrub(result.rows.map((r) => String(r[valueAt] ?? '')).join('\n')) };
    });
  }

  internal(sql: string) {
    return this.serial(async () => {
      const result = await this.timed(sql);
      return { columns: result.columns, rows: this.cells(result.rows) };
    });
  }

  close(): void {
    this.interrupt();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
