import type {
  Cell,
  ColumnProfile,
  ExplainPlan,
  QueryRows,
  TableDescription,
  TableList,
} from './data-source.js';

/**
 * Why this file exists: what a data tool sends back to the model, as compact text cut to a character
 * budget (≈4 characters a token; DATA_TOOL_RESULT_TOKENS × 4). Whatever is cut is said, with its count
 * ("… 340 more rows not shown"), so the model knows it saw part of the result and can narrow its query.
 * Pure: the caller masks PII first (pii-mask.ts).
 */

export const CHARS_PER_TOKEN = 4;
export const DEFAULT_RESULT_CHARS = 2_000 * CHARS_PER_TOKEN;

/** The approximate token count of a text (the bench reports it). */
export const approxTokens = (text: string) => Math.ceil(text.length / CHARS_PER_TOKEN);

/**
 * `head` lines always (cut if they alone pass the budget), then as many `body` lines as fit, then a
 * footer saying how many body lines were left out (`noun(n)` words it) plus any `notes`.
 */
function withinBudget(
  head: string[],
  body: string[],
  budget: number,
  noun: (n: number) => string,
  notes: string[] = [],
): string {
  const out: string[] = [];
  let used = 0;
  const tail = notes.join('\n');
  // Room kept for the "… N more" line and the notes, so they are never the part that is cut.
  const reserve = 60 + tail.length;
  /** 'full' when the line fit, 'cut' when only its start did (a line too long on its own), else 'none'. */
  const push = (line: string, limit: number): 'full' | 'cut' | 'none' => {
    const cost = line.length + 1;
    if (used + cost <= limit) {
      out.push(line);
      used += cost;
      return 'full';
    }
    const room = limit - used - 2;
    if (room > 40) {
      out.push(`${line.slice(0, room)}…`);
      used = limit;
      return 'cut';
    }
    return 'none';
  };
  const limit = Math.max(budget - reserve, 40);
  for (const line of head) if (push(line, limit) !== 'full') break;
  let shown = 0;
  for (const line of body) {
    const pushed = push(line, limit);
    if (pushed !== 'none') shown++;
    if (pushed !== 'full') break;
  }
  if (shown < body.length) out.push(`… ${noun(body.length - shown)} not shown`);
  if (tail) out.push(tail);
  const text = out.join('\n');
  return text.length > budget ? `${text.slice(0, Math.max(budget - 1, 0))}…` : text;
}

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function approx(n: number | undefined): string {
  if (n === undefined) return '';
  if (n >= 1_000_000_000) return `~${(n / 1_000_000_000).toFixed(1)}B`;
  if (n >= 1_000_000) return `~${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `~${(n / 1_000).toFixed(0)}k`;
  return `~${n}`;
}

function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** One cell as the model reads it: NULL, numbers and booleans bare, text on one line. */
export function cellText(cell: Cell): string {
  if (cell === null) return 'NULL';
  if (typeof cell !== 'string') return String(cell);
  return cell.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n').replace(/\|/g, '\\|');
}

const quoted = (cell: Cell) => (typeof cell === 'string' ? `'${cellText(cell)}'` : cellText(cell));

export function formatTableList(list: TableList, budget = DEFAULT_RESULT_CHARS): string {
  if (list.tables.length === 0) return 'No tables or views are readable here.';
  const head = [
    `${plural(list.tables.length, 'table')}${list.truncated ? ' (more exist: filter by schema)' : ''}:`,
  ];
  const body = list.tables.map((t) => {
    const rows = t.rowEstimate !== undefined ? `, ${approx(t.rowEstimate)} rows` : '';
    return `${t.schema}.${t.table} (${t.kind}${rows})`;
  });
  return withinBudget(head, body, budget, (n) => plural(n, 'more table'));
}

export function formatDescription(d: TableDescription, budget = DEFAULT_RESULT_CHARS): string {
  const facts = [
    d.kind,
    d.rowEstimate !== undefined ? `${approx(d.rowEstimate)} rows` : '',
    bytes(d.sizeBytes),
  ]
    .filter(Boolean)
    .join(', ');
  const head = [`${d.schema}.${d.table} (${facts})${d.comment ? ` — ${d.comment}` : ''}`];
  const pk = new Set(d.primaryKey);
  const fkOf = new Map<string, string>();
  for (const fk of d.foreignKeys) {
    if (fk.columns.length === 1 && fk.columns[0]) {
      fkOf.set(
        fk.columns[0],
        `${fk.references.schema}.${fk.references.table}(${fk.references.columns.join(', ')})`,
      );
    }
  }
  const columns = d.columns.map((c) => {
    const parts = [`  ${c.name} ${c.type}`];
    if (!c.nullable) parts.push('not null');
    if (c.default !== undefined) parts.push(`default ${c.default}`);
    if (pk.has(c.name)) parts.push('[PK]');
    const ref = fkOf.get(c.name);
    if (ref) parts.push(`→ ${ref}`);
    if (c.comment) parts.push(`-- ${c.comment}`);
    return parts.join(' ');
  });
  const notes: string[] = [];
  if (d.primaryKey.length > 0) notes.push(`primary key: (${d.primaryKey.join(', ')})`);
  for (const fk of d.foreignKeys.filter((f) => f.columns.length > 1)) {
    notes.push(
      `foreign key: (${fk.columns.join(', ')}) → ${fk.references.schema}.${fk.references.table}(${fk.references.columns.join(', ')})`,
    );
  }
  if (d.indexes.length > 0) notes.push(`indexes:\n${d.indexes.map((i) => `  ${i}`).join('\n')}`);
  else notes.push('indexes: none');
  // Columns matter most; the keys and indexes come after, cut themselves if they are many.
  const noteText = notes.join('\n');
  const keep = Math.min(noteText.length, Math.floor(budget / 3));
  const trimmedNotes =
    noteText.length > keep ? [`${noteText.slice(0, keep)}… (more indexes not shown)`] : notes;
  return withinBudget(
    [...head, `${plural(d.columns.length, 'column')}:`],
    columns,
    budget,
    (n) => plural(n, 'more column'),
    trimmedNotes,
  );
}

export interface RowsToFormat extends QueryRows {
  maskedColumns?: string[];
  maskedCells?: number;
}

export function formatRows(result: RowsToFormat, budget = DEFAULT_RESULT_CHARS): string {
  if (result.columns.length === 0) return 'The statement returned no columns.';
  const notes: string[] = [];
  if (result.truncated)
    notes.push(`(more rows exist beyond these ${result.rows.length}: aggregate or add a WHERE/LIMIT)`);
  if (result.maskedColumns && result.maskedColumns.length > 0) {
    notes.push(`(PII masked: ${result.maskedColumns.join(', ')})`);
  }
  if (result.maskedCells) notes.push(`(PII found and masked in ${plural(result.maskedCells, 'other cell')})`);
  if (result.rows.length === 0) return [result.columns.join(' | '), '(no rows)', ...notes].join('\n');
  const head = [
    `${plural(result.rows.length, 'row')}${result.truncated ? '+' : ''}:`,
    result.columns.join(' | '),
  ];
  const body = result.rows.map((row) => row.map(cellText).join(' | '));
  return withinBudget(head, body, budget, (n) => plural(n, 'more row'), notes);
}

export function formatProfiles(
  table: string,
  profiles: ColumnProfile[],
  budget = DEFAULT_RESULT_CHARS,
): string {
  if (profiles.length === 0) return `${table}: no columns to profile.`;
  const rows = profiles[0]?.rows ?? 0;
  const head = [`profile of ${table} (${plural(rows, 'row')}; aggregates only):`];
  const body = profiles.map((p) => {
    const parts = [
      `${(p.nullShare * 100).toFixed(1)}% null`,
      `${p.distinct.toLocaleString('en-US')} distinct`,
    ];
    if (p.min !== undefined) parts.push(`min ${quoted(p.min)}`);
    if (p.max !== undefined) parts.push(`max ${quoted(p.max)}`);
    if (p.topValues.length > 0)
      parts.push(`top: ${p.topValues.map((t) => `${quoted(t.value)} ×${t.count}`).join(', ')}`);
    return `${p.column} ${p.type}: ${parts.join(', ')}`;
  });
  return withinBudget(head, body, budget, (n) => plural(n, 'more column'));
}

export function formatPlan(plan: ExplainPlan, budget = DEFAULT_RESULT_CHARS): string {
  const head = [
    plan.analyzed ? 'EXPLAIN ANALYZE (the query ran):' : 'EXPLAIN (estimated plan; the query did not run):',
  ];
  return withinBudget(head, plan.text.split('\n'), budget, (n) => plural(n, 'more plan line'));
}
