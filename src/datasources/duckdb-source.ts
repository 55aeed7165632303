import {
  type ColumnProfile,
  type DataSource,
  DataSourceError,
  type DataSourceLimits,
  type ExplainPlan,
  type QueryRows,
  ReadOnlyRefusal,
  type TableDescription,
  type TableList,
  type TableRef,
} from '../core/data-sources/data-source.js';
import { maskText } from '../core/data-sources/pii-mask.js';
import type { DuckDbSourceConfig } from '../core/data-sources/source-config.js';
import { cutText, toCell, toNumber } from './cells.js';
import { DuckDbChild } from './duckdb-child-process.js';
import type { ViewFacts } from './duckdb-protocol.js';
import { duckDbErrorText } from './error-text.js';

/**
 * Why this file exists: the DuckDB adapter of the data-source port, for Parquet/CSV/JSON files named in
 * the config (each name a view). DuckDB runs in a child process (duckdb-child.ts) started on the first
 * call and ended when idle; its guard (json_serialize_sql) and lock-down live there. The catalog tools
 * take names from the model: a view must be one the config names, and identifiers are quoted.
 */

/** Columns a profile covers at most. */
const MAX_PROFILE_COLUMNS = 30;
const TOP_VALUES = 5;
/** How long an idle DuckDB process lives (it holds ~100 MB). */
const IDLE_MS = 60_000;
/** Past the statement timeout (the child interrupts), this long more before the process is killed. */
const KILL_GRACE_MS = 10_000;
/** The child's memory cap above DuckDB's own memory_limit (the runtime and DuckDB's code). */
const RSS_HEADROOM_MB = 300;
const ORDERED_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL|DATE|TIME|TIMESTAMP|VARCHAR|INTERVAL)/i;

const q = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

export class DuckDbDataSource implements DataSource {
  readonly kind = 'duckdb' as const;
  readonly name: string;
  readonly allowsAnalyze: boolean;
  private child: DuckDbChild | undefined;
  private closed = false;

  constructor(
    private readonly config: DuckDbSourceConfig,
    private readonly limits: DataSourceLimits,
    private readonly options: { idleMs?: number } = {},
  ) {
    this.name = config.name;
    this.allowsAnalyze = config.allowAnalyze;
  }

  /** Whether the source's DuckDB process is up (it starts on a call and ends when idle). */
  get processRunning(): boolean {
    return this.child?.alive ?? false;
  }

  async listTables(options: { schema?: string } = {}): Promise<TableList> {
    if (options.schema && options.schema !== 'main') return { tables: [], truncated: false };
    const views = (await this.views()).filter((v) => !v.problem);
    return {
      tables: views.slice(0, this.limits.maxTables).map((v) => ({
        schema: 'main',
        table: v.name,
        kind: 'external' as const,
        ...(v.rowEstimate !== undefined ? { rowEstimate: v.rowEstimate } : {}),
      })),
      truncated: views.length > this.limits.maxTables,
    };
  }

  async describeTable(ref: TableRef): Promise<TableDescription> {
    const view = await this.view(ref);
    const columns = await this.columnsOf(view.name);
    return {
      schema: 'main',
      table: view.name,
      kind: 'external',
      columns: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
      primaryKey: [],
      foreignKeys: [],
      indexes: [],
      ...(view.rowEstimate !== undefined ? { rowEstimate: view.rowEstimate } : {}),
      sizeBytes: view.sizeBytes,
      comment: `${view.files} file${view.files === 1 ? '' : 's'}`,
    };
  }

  async sampleRows(ref: TableRef, limit: number): Promise<QueryRows> {
    const view = await this.view(ref);
    const n = Math.max(0, Math.min(Math.floor(limit), this.limits.maxSampleRows));
    const reply = await this.call({ op: 'internal', sql: `SELECT * FROM ${q(view.name)} LIMIT ${n}` });
    return { columns: reply.columns ?? [], rows: reply.rows ?? [], truncated: false };
  }

  async profileColumns(ref: TableRef, columns?: string[]): Promise<ColumnProfile[]> {
    const view = await this.view(ref);
    const all = await this.columnsOf(view.name);
    const wanted = columns?.map((c) => c.toLowerCase());
    if (wanted) {
      const missing = wanted.filter((w) => !all.some((c) => c.name.toLowerCase() === w));
      if (missing.length > 0) {
        throw new DataSourceError(
          `no column ${missing.map((m) => `"${cutText(m, 60)}"`).join(', ')} in ${view.name}`,
        );
      }
    }
    const chosen = (wanted ? all.filter((c) => wanted.includes(c.name.toLowerCase())) : all).slice(
      0,
      MAX_PROFILE_COLUMNS,
    );
    if (chosen.length === 0) return [];
    const table = q(view.name);
    const max = this.limits.maxCellChars;
    // Aggregates in one scan; top values one column at a time (each is its own scan, and a CSV scan holds
    // ~30 MB of buffers: run side by side in one plan, 30 of them would pass memory_limit).
    const parts = chosen.flatMap((c, i) => {
      const col = q(c.name);
      const ordered = ORDERED_TYPE.test(c.type);
      return [
        `count(${col}) AS nn_${i}`,
        ordered ? `count(DISTINCT ${col}) AS d_${i}` : `count(DISTINCT CAST(${col} AS VARCHAR)) AS d_${i}`,
        ordered ? `left(CAST(min(${col}) AS VARCHAR), ${max}) AS min_${i}` : `NULL AS min_${i}`,
        ordered ? `left(CAST(max(${col}) AS VARCHAR), ${max}) AS max_${i}` : `NULL AS max_${i}`,
      ];
    });
    const reply = await this.call({
      op: 'internal',
      sql: `SELECT CAST(count(*) AS DOUBLE) AS n, ${parts.join(', ')} FROM ${table}`,
    });
    const names = reply.columns ?? [];
    const row = reply.rows?.[0] ?? [];
    const at = (name: string) => row[names.indexOf(name)] ?? null;
    const rows = toNumber(at('n'));
    const tops: { value: string; count: number }[][] = [];
    for (const c of chosen) {
      const col = q(c.name);
      const top = await this.call({
        op: 'internal',
        sql:
          `SELECT left(CAST(${col} AS VARCHAR), ${max}) AS v, CAST(count(*) AS DOUBLE) AS n FROM ${table} ` +
          `WHERE ${col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${TOP_VALUES}`,
      });
      tops.push((top.rows ?? []).map(([value, count]) => ({ value: String(value), count: toNumber(count) })));
    }
    return chosen.map((c, i): ColumnProfile => {
      const nonNull = toNumber(at(`nn_${i}`));
      const profile: ColumnProfile = {
        column: c.name,
        type: c.type,
        rows,
        nullShare: rows === 0 ? 0 : (rows - nonNull) / rows,
        distinct: toNumber(at(`d_${i}`)),
        topValues: tops[i] ?? [],
      };
      const min = at(`min_${i}`);
      const maxValue = at(`max_${i}`);
      if (min !== null) profile.min = toCell(min, max);
      if (maxValue !== null) profile.max = toCell(maxValue, max);
      return profile;
    });
  }

  async explain(sql: string, options: { analyze?: boolean } = {}): Promise<ExplainPlan> {
    const { statement, analyze: asked } = splitExplain(sql);
    const analyze = asked || Boolean(options.analyze);
    if (analyze && !this.allowsAnalyze) {
      throw new ReadOnlyRefusal('EXPLAIN ANALYZE runs the query: this source does not allow it');
    }
    const reply = await this.call({ op: 'explain', sql: statement, analyze });
    // A plan prints the statement's literals (filters, folded constants): masked like a cell.
    return { text: maskText(reply.text ?? ''), analyzed: analyze };
  }

  async query(sql: string): Promise<QueryRows> {
    if (/^\s*explain\b/i.test(sql)) {
      const plan = await this.explain(sql);
      return { columns: ['explain'], rows: plan.text.split('\n').map((line) => [line]), truncated: false };
    }
    const reply = await this.call({ op: 'query', sql, maxRows: this.limits.maxRows });
    return { columns: reply.columns ?? [], rows: reply.rows ?? [], truncated: reply.truncated ?? false };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.child?.kill('closed');
    this.child = undefined;
  }

  private views(): Promise<ViewFacts[]> {
    return this.call({ op: 'views' }).then((reply) => reply.views ?? []);
  }

  /** The configured view the model named (schema empty or `main`), or a DataSourceError. */
  private async view(ref: TableRef): Promise<ViewFacts> {
    const views = await this.views();
    const schemaOk = !ref.schema || ref.schema === 'main';
    const found = schemaOk ? views.find((v) => v.name === ref.table.toLowerCase()) : undefined;
    if (!found) {
      const name = maskText(cutText(ref.schema ? `${ref.schema}.${ref.table}` : ref.table, 120));
      throw new DataSourceError(
        `no table or view named ${JSON.stringify(name)} (list the tables to see what exists)`,
      );
    }
    if (found.problem) {
      throw new DataSourceError(`the view ${found.name} cannot be read: ${duckDbErrorText(found.problem)}`);
    }
    return found;
  }

  private async columnsOf(view: string): Promise<{ name: string; type: string; nullable: boolean }[]> {
    const reply = await this.call({ op: 'internal', sql: `DESCRIBE ${q(view)}` });
    const names = reply.columns ?? [];
    const [name, type, nullable] = ['column_name', 'column_type', 'null'].map((c) => names.indexOf(c));
    return (reply.rows ?? []).map((r) => ({
      name: String(r[name ?? 0]),
      type: String(r[type ?? 1]),
      nullable: r[nullable ?? 2] !== 'NO',
    }));
  }

  /** One request to the child (started now if it is not running), errors as the port's errors. */
  private async call(request: Parameters<DuckDbChild['request']>[0]) {
    if (this.closed) throw new DataSourceError('the source is closed');
    if (!this.child?.alive) {
      this.child = new DuckDbChild(
        {
          paths: this.config.paths,
          memoryLimitMb: this.config.memoryLimitMb,
          statementTimeoutMs: this.limits.statementTimeoutMs,
          maxCellChars: this.limits.maxCellChars,
          maxRssMb: this.config.memoryLimitMb + RSS_HEADROOM_MB,
        },
        this.options.idleMs ?? IDLE_MS,
      );
    }
    const child = this.child;
    try {
      return await child.request(request, this.limits.statementTimeoutMs + KILL_GRACE_MS);
    } catch (error) {
      const e = error as { message: string; refused?: boolean; timedOut?: boolean };
      const message = duckDbErrorText(this.scrub(e.message));
      if (e.refused) throw new ReadOnlyRefusal(message);
      if (e.timedOut) throw new DataSourceError(message, true);
      if (!child.alive) {
        this.child = undefined;
        throw new DataSourceError(message, /no reply within/.test(message));
      }
      throw new DataSourceError(message);
    }
  }

  /** The configured paths never leave: a second pass after the child's own scrubbing. */
  private scrub(message: string): string {
    return Object.values(this.config.paths).reduce((text, path) => text.split(path).join('<file>'), message);
  }
}

/** `EXPLAIN [ANALYZE] <select>` → the select and whether ANALYZE was asked; anything else unchanged. */
function splitExplain(sql: string): { statement: string; analyze: boolean } {
  const match = /^\s*explain\s+(analyze\s+)?/i.exec(sql);
  if (!match) return { statement: sql, analyze: false };
  return { statement: sql.slice(match[0].length), analyze: Boolean(match[1]) };
}
