import type { Cell, DataSource, QueryRows, TableRef, TableSummary } from './data-source.js';
import { piiKindOfColumn } from './pii-mask.js';

/**
 * Why this file exists: masking by column name and content (pii-mask.ts) cannot follow a value through
 * SQL. `full_name AS who`, `split_part(email,'@',1)`, `translate(phone,'0123456789','abcdefghij')`,
 * `row_to_json(c)`, `c::text` and `||` all return personal data under an innocent name and shape. So
 * run_query masks conservatively: when a statement reads any table that has a personal column (by
 * name, piiKindOfColumn), EVERY non-numeric column of its result is masked whole, and numbers long
 * enough to be a phone or a card are masked too. Counts, sums, averages and null shares stay readable,
 * which is what design needs. Unknown relations (catalog views such as pg_stats, a table that could not
 * be described) count as personal: the decision only ever masks more.
 *
 * Which tables a statement reads: the engine's parser where there is one (PostgreSQL, through the
 * `StatementTablesFinder` port, src/datasources/referenced-tables.ts), united with every known table
 * whose name appears as a word anywhere in the text (also inside strings and comments).
 */

/** The relations a statement names, as the engine's parser reads them. */
export interface StatementTables {
  relations: { schema?: string; table: string }[];
  /** Names of the statement's CTEs (a relation with one of these names may be the CTE). */
  cteNames: string[];
}

/** PostgreSQL's parser behind a port (the core imports no engine library). Throws when it cannot parse. */
export type StatementTablesFinder = (sql: string) => Promise<StatementTables>;

/** A table a statement read that holds personal data (or might: `columns` empty when unknown). */
export interface PersonalRead {
  table: string;
  columns: string[];
}

const MASKED_TEXT = '<masked>';
const MASKED_NUMBER = '<masked number>';
/** Integer parts this long are phone numbers or cards as often as they are counts. */
const LONG_DIGITS = 9;
const NUMERIC = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

const nameOf = (t: TableRef) => `${t.schema}.${t.table}`;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One answer's view of which of its source's tables hold personal data; lists and describes once. */
export class PersonalDataExposure {
  private tables: Promise<TableSummary[] | undefined> | undefined;
  private readonly described = new Map<string, Promise<string[] | undefined>>();

  constructor(private readonly finder?: StatementTablesFinder) {}

  /** The tables `sql` reads that hold (or may hold) personal data; empty when it reads none. */
  async personalTablesRead(source: DataSource, sql: string): Promise<PersonalRead[]> {
    const known = await this.knownTables(source);
    if (!known) return [{ table: "(the source's tables could not be listed)", columns: [] }];
    const read = new Map<string, TableSummary>();
    const unknown: PersonalRead[] = [];
    for (const table of known) if (mentions(sql, table.table)) read.set(nameOf(table), table);
    if (source.kind === 'postgres' && this.finder) {
      const parsed = await this.finder(sql).catch(() => undefined);
      if (!parsed) return [{ table: '(the statement could not be parsed)', columns: [] }];
      const ctes = new Set(parsed.cteNames.map((n) => n.toLowerCase()));
      for (const relation of parsed.relations) {
        const matches = known.filter(
          (t) =>
            t.table.toLowerCase() === relation.table.toLowerCase() &&
            (!relation.schema || t.schema.toLowerCase() === relation.schema.toLowerCase()),
        );
        for (const match of matches) read.set(nameOf(match), match);
        if (matches.length === 0 && (relation.schema || !ctes.has(relation.table.toLowerCase())))
          unknown.push({
            table: relation.schema ? `${relation.schema}.${relation.table}` : relation.table,
            columns: [],
          });
      }
    }
    const personal = await Promise.all(
      [...read.values()].map(async (table) => {
        const columns = await this.personalColumns(source, table);
        return columns === undefined || columns.length > 0
          ? { table: nameOf(table), columns: columns ?? [] }
          : undefined;
      }),
    );
    return [...personal.filter((p): p is PersonalRead => p !== undefined), ...unknown];
  }

  private knownTables(source: DataSource): Promise<TableSummary[] | undefined> {
    this.tables ??= source.listTables().then(
      (list) => list.tables,
      () => undefined,
    );
    return this.tables;
  }

  /** The table's personal columns by name; undefined when it could not be described (counts as personal). */
  private personalColumns(source: DataSource, table: TableRef): Promise<string[] | undefined> {
    const key = nameOf(table);
    let columns = this.described.get(key);
    if (!columns) {
      columns = source.describeTable({ schema: table.schema, table: table.table }).then(
        (d) => d.columns.filter((c) => piiKindOfColumn(c.name, table.table) !== undefined).map((c) => c.name),
        () => undefined,
      );
      this.described.set(key, columns);
    }
    return columns;
  }
}

/** `name` as a whole word anywhere in the text, any case (quoted, qualified, in a string or a comment). */
function mentions(sql: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_$])${escapeRegExp(name)}($|[^A-Za-z0-9_$])`, 'i').test(sql);
}

const isNumeric = (cell: Cell) =>
  typeof cell === 'number' || (typeof cell === 'string' && NUMERIC.test(cell));

/** A number whose integer part is as long as a phone number's or a card's. */
function longNumber(cell: Cell): boolean {
  const text = typeof cell === 'number' ? BigInt(Math.trunc(cell)).toString() : String(cell);
  const integerPart = text.replace(/^-/, '').split(/[.eE]/)[0]?.replace(/^0+/, '') ?? '';
  return (
    integerPart.length >= LONG_DIGITS || (typeof cell === 'number' && Math.abs(cell) >= 10 ** LONG_DIGITS)
  );
}

/** Masks every column that is not all numbers (or booleans) whole, and long numbers cell by cell. */
export function maskPersonalRows(result: QueryRows): QueryRows & { maskedColumns: string[] } {
  const numeric = result.columns.map((_, i) =>
    result.rows.every((row) => {
      const cell = row[i] ?? null;
      return cell === null || typeof cell === 'boolean' || isNumeric(cell);
    }),
  );
  const rows = result.rows.map((row) =>
    row.map((cell, i): Cell => {
      if (cell === null || typeof cell === 'boolean') return cell;
      if (!numeric[i]) return MASKED_TEXT;
      return longNumber(cell) ? MASKED_NUMBER : cell;
    }),
  );
  return { ...result, rows, maskedColumns: result.columns.filter((_, i) => !numeric[i]) };
}

/** What the model is told above a result masked this way. */
export function personalReadNotice(reads: PersonalRead[], maskedColumns: string[]): string {
  const what = reads
    .slice(0, 5)
    .map((r) => (r.columns.length > 0 ? `${r.table} (personal columns: ${r.columns.join(', ')})` : r.table))
    .join('; ');
  const masked =
    maskedColumns.length > 0
      ? `every non-numeric column (${maskedColumns.join(', ')})`
      : 'non-numeric columns';
  return `(Personal data: this query reads ${what}, so ${masked} was masked whole, and numbers of ${LONG_DIGITS}+ digits too. Numbers and aggregates stay readable: count, sum, average or group by columns of tables without personal data. Do not try to recover the masked values.)`;
}
