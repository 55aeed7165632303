/**
 * Why this file exists: a sandbox table name from a file's name (`orders.csv` → `orders_csv`): lower-case
 * letters, digits and underscores only, starting with a letter, at most 48 characters, unique in the
 * thread (`orders_csv_2`). The model quotes nothing: the name must be a plain identifier.
 */

const MAX_TABLE_CHARS = 48;

/** DuckDB keywords a bare table name may not be (the common ones a file could be called). */
const RESERVED = new Set(['select', 'from', 'where', 'table', 'order', 'group', 'user', 'join', 'limit']);

export function tableNameFor(fileName: string, taken: ReadonlySet<string>): string {
  let base = fileName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_TABLE_CHARS);
  if (base === '') base = 'file';
  if (!/^[a-z]/.test(base) || RESERVED.has(base)) base = `t_${base}`.slice(0, MAX_TABLE_CHARS);
  base = base.replace(/_+$/, '');
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${base.slice(0, MAX_TABLE_CHARS - String(n).length - 1)}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** What a file's name claims it is, from its extension (the content still decides). */
export function claimedFormat(fileName: string): 'csv' | 'tsv' | 'json' | 'parquet' | 'sql' | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase();
  switch (extension) {
    case 'csv':
      return 'csv';
    case 'tsv':
    case 'tab':
      return 'tsv';
    case 'json':
    case 'ndjson':
    case 'jsonl':
      return 'json';
    case 'parquet':
    case 'pq':
      return 'parquet';
    case 'sql':
      return 'sql';
    default:
      return undefined;
  }
}
