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
  type TableSummary,
} from '../core/data-sources/data-source.js';
import { maskText } from '../core/data-sources/pii-mask.js';
import { cutText, toCell, toNumber } from './cells.js';
import { type GuardedStatement, guardPostgresStatement } from './postgres-guard.js';
import type { PostgresSession, ReadOnlyQuerier, RowsResult } from './postgres-session.js';

/**
 * Why this file exists: the PostgreSQL adapter of the data-source port. Model-written SQL passes the guard
 * (postgres-guard.ts) and then runs in the session's read-only transaction (postgres-session.ts); the
 * catalog tools (describe, sample, profile) take table names from the model, so they look the table up in
 * the catalog first and quote every identifier with the driver's escapeIdentifier.
 */

/** Columns a profile covers at most (one aggregate query; wider tables: name the columns). */
export const MAX_PROFILE_COLUMNS = 30;
const TOP_VALUES = 5;
const SYSTEM_SCHEMAS = `('pg_catalog', 'information_schema', 'pg_toast')`;
const KINDS: Record<string, TableSummary['kind']> = {
  r: 'table',
  p: 'table',
  v: 'view',
  m: 'materialized view',
  f: 'external',
};

/**
 * A quoted identifier, as pg's escapeIdentifier makes it (double quotes doubled, the whole in quotes);
 * written here so the driver loads only when a source is used.
 */
const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/**
 * Volatile functions a read may call: they change nothing (random numbers, the clock, sizes on disk).
 * Every other function PostgreSQL marks volatile (`pg_proc.provolatile = 'v'`: the ones with side
 * effects, built in or the warehouse's own) is refused, whatever the guard's deny list misses.
 */
const HARMLESS_VOLATILE = new Set([
  'random',
  'random_normal',
  'clock_timestamp',
  'timeofday',
  'gen_random_uuid',
  'uuid_generate_v4',
  'pg_relation_size',
  'pg_total_relation_size',
  'pg_table_size',
  'pg_indexes_size',
  'pg_database_size',
  'pg_tablespace_size',
]);

/**
 * Types whose printed value has a small fixed bound (booleans, integers, floats, oid, dates and times,
 * uuid, network addresses): fetched as they are. Every other value (text, json, arrays, bytea, numeric…)
 * is cut on the server with `left(…::text, N)`, so a 500 MB cell never crosses the wire.
 */
const BOUNDED_TYPE_OIDS = new Set([
  16, 18, 20, 21, 23, 26, 650, 700, 701, 774, 790, 829, 869, 1082, 1083, 1114, 1184, 1186, 1266, 2950,
]);

/** One select-list item: `expression` (a column reference) as is when bounded, else cut to `max` + 1. */
function cutOnServer(expression: string, typeId: number, max: number): string {
  return BOUNDED_TYPE_OIDS.has(typeId) ? expression : `left((${expression})::text, ${max + 1})`;
}

interface FoundTable {
  oid: string;
  schema: string;
  table: string;
  relkind: string;
  reltuples: number;
  size: string | null;
  comment: string | null;
}

interface ColumnRow {
  name: string;
  type: string;
  typeId: number;
  nullable: boolean;
  default: string | null;
  comment: string | null;
  category: string;
}

export class PostgresDataSource implements DataSource {
  readonly kind = 'postgres' as const;

  constructor(
    readonly name: string,
    readonly allowsAnalyze: boolean,
    private readonly session: PostgresSession,
    private readonly limits: DataSourceLimits,
  ) {}

  async listTables(options: { schema?: string } = {}): Promise<TableList> {
    const max = this.limits.maxTables;
    const rows = await this.session.readOnly((db) =>
      db.objects<{ schema: string; table: string; relkind: string; reltuples: number }>(
        `SELECT n.nspname AS schema, c.relname AS table, c.relkind::text AS relkind, c.reltuples::float8 AS reltuples
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
            AND n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_temp%' AND n.nspname NOT LIKE 'pg\\_toast%'
            AND NOT c.relispartition
            AND ($1::text IS NULL OR n.nspname = $1)
            AND has_table_privilege(c.oid, 'SELECT')
          ORDER BY n.nspname, c.relname
          LIMIT $2`,
        [options.schema ?? null, max + 1],
      ),
    );
    return {
      tables: rows.slice(0, max).map((r) => ({
        schema: r.schema,
        table: r.table,
        kind: KINDS[r.relkind] ?? 'other',
        rowEstimate: estimate(r.relkind, r.reltuples),
      })),
      truncated: rows.length > max,
    };
  }

  async describeTable(ref: TableRef): Promise<TableDescription> {
    return this.session.readOnly(async (db) => {
      const found = await this.findTable(db, ref);
      const columns = await this.columnsOf(db, found.oid);
      const primaryKey = await db.objects<{ name: string }>(
        `SELECT a.attname AS name
           FROM pg_index i
           JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE i.indrelid = $1 AND i.indisprimary
          ORDER BY k.ord`,
        [found.oid],
      );
      const foreignKeys = await db.objects<{
        columns: string;
        schema: string;
        table: string;
        refcolumns: string;
      }>(
        `SELECT (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(n, ord)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n)::text AS columns,
                fn.nspname AS schema, fc.relname AS table,
                (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY AS k(n, ord)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n)::text AS refcolumns
           FROM pg_constraint c
           JOIN pg_class fc ON fc.oid = c.confrelid
           JOIN pg_namespace fn ON fn.oid = fc.relnamespace
          WHERE c.conrelid = $1 AND c.contype = 'f'
          ORDER BY c.conname`,
        [found.oid],
      );
      const indexes = await db.objects<{ def: string }>(
        `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
           JOIN pg_class ic ON ic.oid = i.indexrelid
          WHERE i.indrelid = $1 ORDER BY ic.relname`,
        [found.oid],
      );
      const description: TableDescription = {
        schema: found.schema,
        table: found.table,
        kind: KINDS[found.relkind] ?? 'other',
        columns: columns.map((c) => ({
          name: c.name,
          type: c.type,
          nullable: c.nullable,
          ...(c.default !== null ? { default: maskText(cutText(c.default, this.limits.maxCellChars)) } : {}),
          ...(c.comment !== null ? { comment: cutText(c.comment, this.limits.maxCellChars) } : {}),
        })),
        primaryKey: primaryKey.map((p) => p.name),
        foreignKeys: foreignKeys.map((f) => ({
          columns: JSON.parse(f.columns) as string[],
          references: { schema: f.schema, table: f.table, columns: JSON.parse(f.refcolumns) as string[] },
        })),
        // A partial index prints its predicate's literals (WHERE email <> 'x@y.com'): masked.
        indexes: indexes.map((i) => maskText(cutText(i.def, 1_000))),
        rowEstimate: estimate(found.relkind, found.reltuples),
        ...(found.size !== null ? { sizeBytes: toNumber(found.size) } : {}),
        ...(found.comment !== null ? { comment: cutText(found.comment, this.limits.maxCellChars) } : {}),
      };
      return description;
    });
  }

  async sampleRows(ref: TableRef, limit: number): Promise<QueryRows> {
    const n = Math.max(0, Math.min(Math.floor(limit), this.limits.maxSampleRows));
    return this.session.readOnly(async (db) => {
      const found = await this.findTable(db, ref);
      const columns = await this.columnsOf(db, found.oid);
      const max = this.limits.maxCellChars;
      const list = columns.map((c) => `${cutOnServer(q(c.name), c.typeId, max)} AS ${q(c.name)}`);
      // LIMIT reads the first pages only; TABLESAMPLE would often return nothing from a small table.
      const result = await db.rows(
        `SELECT ${list.join(', ')} FROM ${q(found.schema)}.${q(found.table)} LIMIT ${n}`,
      );
      return this.toRows(result, n);
    });
  }

  async profileColumns(ref: TableRef, columns?: string[]): Promise<ColumnProfile[]> {
    return this.session.readOnly(async (db) => {
      const found = await this.findTable(db, ref);
      const all = await this.columnsOf(db, found.oid);
      const wanted = columns ? columns.map((c) => c.toLowerCase()) : undefined;
      const chosen = (wanted ? all.filter((c) => wanted.includes(c.name.toLowerCase())) : all).slice(
        0,
        MAX_PROFILE_COLUMNS,
      );
      if (wanted) {
        const missing = wanted.filter((w) => !all.some((c) => c.name.toLowerCase() === w));
        if (missing.length > 0) {
          throw new DataSourceError(
            `no column ${missing.map((m) => `"${cutText(m, 60)}"`).join(', ')} in ${found.schema}.${found.table}`,
          );
        }
      }
      if (chosen.length === 0) return [];
      const table = `${q(found.schema)}.${q(found.table)}`;
      const max = this.limits.maxCellChars;
      // One statement, aggregates only: counts, distinct counts, min/max of ordered types, top values.
      const parts = chosen.flatMap((c, i) => {
        const col = q(c.name);
        const ordered = ['N', 'D', 'S', 'T'].includes(c.category);
        const comparable = ordered || ['B', 'E', 'I', 'V'].includes(c.category);
        return [
          `count(${col}) AS nn_${i}`,
          comparable ? `count(DISTINCT ${col}) AS d_${i}` : `count(DISTINCT ${col}::text) AS d_${i}`,
          ordered ? `left(min(${col})::text, ${max}) AS min_${i}` : `NULL::text AS min_${i}`,
          ordered ? `left(max(${col})::text, ${max}) AS max_${i}` : `NULL::text AS max_${i}`,
          `(SELECT json_agg(json_build_array(v, n)) FROM (SELECT left(${col}::text, ${max}) AS v, count(*) AS n FROM ${table} ` +
            `WHERE ${col} IS NOT NULL GROUP BY ${col}::text ORDER BY count(*) DESC, 1 LIMIT ${TOP_VALUES}) top)::text AS top_${i}`,
        ];
      });
      const [row] = await db.objects<Record<string, string | number | null>>(
        `SELECT count(*)::float8 AS n, ${parts.join(', ')} FROM ${table}`,
      );
      const rows = toNumber(row?.n);
      return chosen.map((c, i): ColumnProfile => {
        const nonNull = toNumber(row?.[`nn_${i}`]);
        const top = row?.[`top_${i}`];
        const profile: ColumnProfile = {
          column: c.name,
          type: c.type,
          rows,
          nullShare: rows === 0 ? 0 : (rows - nonNull) / rows,
          distinct: toNumber(row?.[`d_${i}`]),
          topValues: top
            ? (JSON.parse(String(top)) as [string, number][]).map(([value, count]) => ({ value, count }))
            : [],
        };
        const min = row?.[`min_${i}`];
        const maxValue = row?.[`max_${i}`];
        if (min !== null && min !== undefined) profile.min = toCell(min, max);
        if (maxValue !== null && maxValue !== undefined) profile.max = toCell(maxValue, max);
        return profile;
      });
    });
  }

  async explain(sql: string, options: { analyze?: boolean } = {}): Promise<ExplainPlan> {
    const guarded = await guardPostgresStatement(sql, { allowAnalyze: this.allowsAnalyze });
    const analyze =
      guarded.kind === 'explain' ? guarded.analyze : Boolean(options.analyze) && this.allowsAnalyze;
    if (options.analyze && !this.allowsAnalyze) {
      throw new DataSourceError('EXPLAIN ANALYZE runs the query: this source does not allow it');
    }
    const text =
      guarded.kind === 'explain'
        ? guarded.text
        : `EXPLAIN ${analyze ? '(ANALYZE, BUFFERS) ' : ''}${guarded.text}`;
    return this.session.readOnly(async (db) => {
      await refuseVolatile(db, guarded);
      const result = await db.rows(text);
      const lines = result.rows.map((r) => (r[0] === null || r[0] === undefined ? '' : String(r[0])));
      // A plan prints the statement's literals (and folded constants): masked like a cell.
      return { text: this.session.scrub(maskText(lines.join('\n'))), analyzed: analyze };
    });
  }

  async query(sql: string): Promise<QueryRows> {
    const guarded = await guardPostgresStatement(sql, { allowAnalyze: this.allowsAnalyze });
    const cap = this.limits.maxRows;
    return this.session.readOnly(async (db) => {
      await refuseVolatile(db, guarded);
      if (guarded.kind === 'explain') return this.scrubbed(this.toRows(await db.rows(guarded.text), cap));
      // The columns first (a LIMIT 0 run), then every wide value cut on the server: a cell of hundreds
      // of megabytes must not reach the driver. Positional aliases (q(c1, c2…)) keep duplicate names apart.
      const columns = await db.columnsOf(guarded.text);
      const max = this.limits.maxCellChars;
      const list = columns.map((c, i) => `${cutOnServer(`q.c${i + 1}`, c.typeId, max)} AS c${i + 1}`);
      const aliases = columns.length > 0 ? `(${columns.map((_, i) => `c${i + 1}`).join(', ')})` : '';
      // A cursor: the server produces only the rows fetched, so a huge result never reaches memory.
      await db.rows(
        `DECLARE deb_rows NO SCROLL CURSOR FOR SELECT ${list.join(', ')} FROM (\n${guarded.text}\n) q${aliases}`,
      );
      const fetched = await db.rows(`FETCH FORWARD ${cap + 1} FROM deb_rows`);
      return this.scrubbed(this.toRows({ columns: columns.map((c) => c.name), rows: fetched.rows }, cap));
    });
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  /**
   * A free query can select `current_user`, `current_database()` or the host into a cell: the source's
   * host, user, password and database names are removed from every text cell it returns.
   */
  private scrubbed(rows: QueryRows): QueryRows {
    return {
      ...rows,
      rows: rows.rows.map((row) =>
        row.map((cell) => (typeof cell === 'string' ? this.session.scrub(cell) : cell)),
      ),
    };
  }

  private toRows(result: RowsResult, cap: number): QueryRows {
    const max = this.limits.maxCellChars;
    return {
      columns: result.columns,
      rows: result.rows.slice(0, cap).map((row) => row.map((v) => toCell(v, max))),
      truncated: result.rows.length > cap,
    };
  }

  /**
   * The table the model named, from the catalog (never a system schema), or a DataSourceError. An empty
   * schema means "wherever it is", preferring `public`.
   */
  private async findTable(db: ReadOnlyQuerier, ref: TableRef): Promise<FoundTable> {
    const [found] = await db.objects<FoundTable>(
      `SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS table, c.relkind::text AS relkind,
              c.reltuples::float8 AS reltuples,
              CASE WHEN c.relkind IN ('r', 'm', 'p') THEN pg_total_relation_size(c.oid)::text END AS size,
              obj_description(c.oid, 'pg_class') AS comment
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = $2 AND ($1 = '' OR n.nspname = $1)
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_temp%' AND n.nspname NOT LIKE 'pg\\_toast%'
        ORDER BY (n.nspname = 'public') DESC, n.nspname
        LIMIT 1`,
      [ref.schema ?? '', ref.table],
    );
    if (!found) {
      const name = cutText(ref.schema ? `${ref.schema}.${ref.table}` : ref.table, 120);
      throw new DataSourceError(
        `no table or view named ${JSON.stringify(name)} (list the tables to see what exists)`,
      );
    }
    return found;
  }

  private columnsOf(db: ReadOnlyQuerier, oid: string): Promise<ColumnRow[]> {
    return db.objects<ColumnRow>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.atttypid::int AS "typeId", NOT a.attnotnull AS nullable,
              pg_get_expr(d.adbin, d.adrelid) AS default, col_description(a.attrelid, a.attnum) AS comment,
              t.typcategory::text AS category
         FROM pg_attribute a
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [oid],
    );
  }
}

/**
 * Refuses a statement calling a function, or using an operator, that any overload of its name makes
 * volatile (by name: the overload the server would pick is not known here; refusing more is the safe
 * side). An operator is its underlying function (`CREATE OPERATOR … FUNCTION = f`).
 */
async function refuseVolatile(db: ReadOnlyQuerier, guarded: GuardedStatement): Promise<void> {
  const names = guarded.functions.filter((f) => f !== '' && !HARMLESS_VOLATILE.has(f));
  const operators = guarded.operators.filter((o) => o !== '');
  if (names.length === 0 && operators.length === 0) return;
  const found = await db.objects<{ what: string }>(
    `SELECT what FROM (
       SELECT 'function ' || lower(p.proname) || '()' AS what FROM pg_proc p
        WHERE lower(p.proname) = ANY($1::text[]) AND p.provolatile = 'v'
       UNION ALL
       SELECT 'operator ' || o.oprname FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
        WHERE o.oprname = ANY($2::text[]) AND p.provolatile = 'v' AND NOT (lower(p.proname) = ANY($3::text[]))
     ) v ORDER BY 1 LIMIT 1`,
    [names, operators, [...HARMLESS_VOLATILE]],
  );
  const what = found[0]?.what;
  if (what) throw new ReadOnlyRefusal(`the ${what} has side effects (volatile): only reading is allowed`);
}

/** reltuples is -1 (PostgreSQL 14+) or 0 for a table never analysed, and meaningless for a view. */
function estimate(relkind: string, reltuples: number): number | undefined {
  if (relkind === 'v' || !(reltuples >= 0)) return undefined;
  return Math.round(reltuples);
}
