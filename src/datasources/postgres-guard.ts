import { ReadOnlyRefusal } from '../core/data-sources/data-source.js';

/**
 * Why this file exists: the first of the three read-only walls for PostgreSQL. PostgreSQL's own parser
 * (libpg-query, the server's grammar compiled to WASM) decides what a statement is: comments, `;` inside
 * strings or dollar quotes, unicode escapes and nesting are resolved exactly as the server would, never by
 * a regex. Exactly one SELECT (or WITH … SELECT, VALUES, TABLE) or EXPLAIN of one passes; the whole tree is
 * walked for data-modifying CTEs, SELECT INTO, locking clauses, side-effecting functions and relations
 * holding credentials. The read-only transaction and the operator's read-only role stop what this misses.
 */

/** Longer statements are refused before parsing (a model has no reason to send them). */
export const MAX_STATEMENT_CHARS = 20_000;

/**
 * Functions refused anywhere in a statement, by their last name part (so `pg_catalog.pg_sleep` and
 * `"pg_sleep"` are caught): sleeping, file and large-object access, other connections, settings,
 * sequences, signalling backends, locks, notifications, transaction ids, functions that run a query
 * string (query_to_xml, ts_stat), replication and WAL control.
 */
const DENIED_FUNCTIONS = new Set([
  'set_config',
  'nextval',
  'setval',
  'currval',
  'lastval',
  'pg_stat_file',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_notify',
  'pg_switch_wal',
  'pg_promote',
  'pg_import_system_collations',
  'pg_stat_reset',
  'pg_stat_statements_reset',
  'pg_log_backend_memory_contexts',
  'pg_drop_replication_slot',
  'ts_stat',
  // Connection facts (where the server is, who connects): not data the model designs with.
  'inet_server_addr',
  'inet_server_port',
  'inet_client_addr',
  'inet_client_port',
  'pg_stat_get_activity',
  'pg_stat_get_wal_receiver',
  'pg_show_all_settings',
  'pg_show_all_file_settings',
  'pg_hba_file_rules',
  'pg_ident_file_mappings',
  // ts_rewrite(query, 'SELECT …') runs the SQL text it is given.
  'ts_rewrite',
  'current_setting_set',
  'copy',
]);

/** Function name prefixes refused the same way. */
const DENIED_FUNCTION_PREFIXES = [
  'pg_sleep',
  'pg_read_',
  'pg_ls_',
  'pg_file_',
  'pg_logdir_',
  'lo_',
  'dblink',
  'pg_advisory',
  'pg_try_advisory',
  'txid_',
  'pg_current_xact',
  'pg_current_snapshot',
  'query_to_xml',
  'table_to_xml',
  'cursor_to_xml',
  'schema_to_xml',
  'database_to_xml',
  'pg_logical_',
  'pg_replication_',
  'pg_create_',
  'pg_wal_',
  'pg_backup_',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_stat_reset',
  'pg_copy_',
  'pg_export_snapshot',
];

/**
 * Catalog relations holding credentials, server files, connection facts or settings: refused even for a
 * superuser's connection.
 */
const DENIED_RELATIONS = new Set([
  'pg_authid',
  'pg_shadow',
  'pg_user_mapping',
  'pg_user_mappings',
  'pg_hba_file_rules',
  'pg_ident_file_rules',
  'pg_file_settings',
  'pg_largeobject',
  'pg_largeobject_metadata',
  'pg_statistic',
  'pg_config',
  // Who is connected from where, and the server's configuration.
  'pg_stat_activity',
  'pg_stat_replication',
  'pg_stat_wal_receiver',
  'pg_stat_ssl',
  'pg_stat_gssapi',
  'pg_settings',
  'pg_ident_file_mappings',
]);

/**
 * Parse-tree levels a statement may have (a subquery adds about six, `a + b` two): hundreds of nested
 * subqueries or a chain of thousands of `+` are no query a person reads, and would overflow stacks.
 */
const MAX_TREE_DEPTH = 1_000;
const TOO_COMPLEX = 'the statement is too complex (nested too deeply)';

export interface GuardedStatement {
  kind: 'select' | 'explain';
  /** The statement's own text (no trailing `;` or comment), ready to wrap or send. */
  text: string;
  /** EXPLAIN ANALYZE (runs the query). */
  analyze: boolean;
  /**
   * Every function the statement calls by name (lowercase, last name part): the session refuses those
   * PostgreSQL marks volatile (postgres-source.ts), whatever this deny list misses.
   */
  functions: string[];
  /** Every operator symbol it uses (`=`, `@@@`…): an operator runs a function, checked the same way. */
  operators: string[];
}

type Node = Record<string, unknown>;

const isObject = (v: unknown): v is Node => typeof v === 'object' && v !== null;

function deniedFunction(name: string): boolean {
  return DENIED_FUNCTIONS.has(name) || DENIED_FUNCTION_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The last `String` part of a qualified name list (`[{String: {sval: 'pg_catalog'}}, {String: …}]`). */
function lastName(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  const last = parts.at(-1);
  const sval = isObject(last) && isObject(last.String) ? last.String.sval : undefined;
  return typeof sval === 'string' ? sval.toLowerCase() : '';
}

/** The reason a single node (`key: value` of its parent) is refused, or undefined. */
function deniedNode(key: string, value: unknown): string | undefined {
  if (/Stmt$/.test(key) && key !== 'SelectStmt') {
    return `${statementName(key)} is not allowed inside a query (only reading)`;
  }
  if (key === 'intoClause' && value) return 'SELECT … INTO creates a table: only reading is allowed';
  if (key === 'lockingClause' && Array.isArray(value) && value.length > 0) {
    return 'FOR UPDATE / FOR SHARE takes row locks: only plain reading is allowed';
  }
  if (key === 'FuncCall' && isObject(value)) {
    const name = lastName(value.funcname);
    if (deniedFunction(name)) return `the function ${name}() is not allowed in a read-only tool`;
  }
  if (key === 'RangeVar' && isObject(value) && typeof value.relname === 'string') {
    const relation = value.relname.toLowerCase();
    if (DENIED_RELATIONS.has(relation)) return `the catalog ${relation} is not readable through this tool`;
  }
  return undefined;
}

/**
 * Walks every node under `root` with an explicit stack (a statement nested hundreds of levels deep must
 * not overflow the call stack); returns the first reason to refuse, and every function name called.
 */
function walk(root: unknown): { reason?: string; functions: Set<string>; operators: Set<string> } {
  const functions = new Set<string>();
  const operators = new Set<string>();
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (depth > MAX_TREE_DEPTH) return { reason: TOO_COMPLEX, functions, operators };
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1]);
      continue;
    }
    if (!isObject(node)) continue;
    for (const [key, value] of Object.entries(node)) {
      const reason = deniedNode(key, value);
      if (reason) return { reason, functions, operators };
      if (key === 'FuncCall' && isObject(value)) functions.add(lastName(value.funcname));
      if (key === 'A_Expr' && isObject(value)) operators.add(lastName(value.name));
      if (typeof value === 'object' && value !== null) stack.push([value, depth + 1]);
    }
  }
  return { functions, operators };
}

/** `InsertStmt` → `INSERT`, `CreateTableAsStmt` → `CREATE TABLE AS`, for a refusal's reason. */
function statementName(kind: string): string {
  const special: Record<string, string> = {
    CreateTableAsStmt: 'CREATE TABLE AS',
    CopyStmt: 'COPY',
    DoStmt: 'DO',
    CallStmt: 'CALL',
    VariableSetStmt: 'SET',
    TransactionStmt: 'a transaction command',
    ExplainStmt: 'EXPLAIN',
  };
  return (
    special[kind] ??
    kind
      .replace(/Stmt$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toUpperCase()
  );
}

/** Utf-8 byte offsets (what the parser reports) back to the statement's own text. */
function statementText(sql: string, location: number, length: number): string {
  const bytes = Buffer.from(sql, 'utf8');
  const end = length > 0 ? location + length : bytes.length;
  return bytes.subarray(location, end).toString('utf8').trim();
}

/** EXPLAIN's options include ANALYZE (and not `ANALYZE false`). */
function explainAnalyzes(options: unknown): boolean {
  if (!Array.isArray(options)) return false;
  return options.some((option) => {
    const elem = isObject(option) && isObject(option.DefElem) ? option.DefElem : undefined;
    if (!elem || String(elem.defname).toLowerCase() !== 'analyze') return false;
    const arg = isObject(elem.arg) ? elem.arg : undefined;
    const flag = arg && isObject(arg.String) ? String(arg.String.sval).toLowerCase() : undefined;
    const boolean = arg && isObject(arg.Boolean) ? arg.Boolean.boolval : undefined;
    return !(flag === 'false' || flag === 'off' || flag === '0' || boolean === false);
  });
}

/**
 * Admits one read-only statement or throws `ReadOnlyRefusal` with a short reason (safe for the model).
 * `allowAnalyze`: the source lets EXPLAIN ANALYZE run queries.
 */
export async function guardPostgresStatement(
  sql: string,
  options: { allowAnalyze: boolean },
): Promise<GuardedStatement> {
  if (sql.length > MAX_STATEMENT_CHARS) {
    throw new ReadOnlyRefusal(`the statement is longer than ${MAX_STATEMENT_CHARS} characters`);
  }
  try {
    return judge(await parseStatement(sql), sql, options);
  } catch (error) {
    if (error instanceof ReadOnlyRefusal) throw error;
    // A stack overflow or out-of-memory while parsing or walking a deeply nested statement.
    throw new ReadOnlyRefusal(TOO_COMPLEX);
  }
}

type ParseTree = { stmts?: { stmt?: Node; stmt_location?: number; stmt_len?: number }[] };

async function parseStatement(sql: string): Promise<ParseTree> {
  try {
    return (await (await libpgQuery()).parse(sql)) as ParseTree;
  } catch (error) {
    if (error instanceof RangeError || !(error instanceof Error)) throw error;
    const message = error.message.split('\n')[0] ?? 'parse error';
    if (/stack|recursion|memory|too (deep|complex)/i.test(message)) throw error;
    throw new ReadOnlyRefusal(`not a valid PostgreSQL statement (${cutReason(message)})`);
  }
}

const cutReason = (text: string) => (text.length > 100 ? `${text.slice(0, 100)}…` : text);

function judge(tree: ParseTree, sql: string, options: { allowAnalyze: boolean }): GuardedStatement {
  const statements = tree.stmts ?? [];
  if (statements.length !== 1) {
    throw new ReadOnlyRefusal(
      statements.length === 0 ? 'the text holds no statement' : 'exactly one statement is allowed',
    );
  }
  const [entry] = statements as [{ stmt?: Node; stmt_location?: number; stmt_len?: number }];
  const stmt = entry.stmt ?? {};
  const [kind] = Object.keys(stmt);
  const text = statementText(sql, entry.stmt_location ?? 0, entry.stmt_len ?? 0);
  if (kind === 'SelectStmt') {
    const { reason, functions, operators } = walk(stmt.SelectStmt);
    if (reason) throw new ReadOnlyRefusal(reason);
    return { kind: 'select', text, analyze: false, functions: [...functions], operators: [...operators] };
  }
  if (kind === 'ExplainStmt' && isObject(stmt.ExplainStmt)) {
    const explain = stmt.ExplainStmt;
    const inner = isObject(explain.query) ? Object.keys(explain.query)[0] : undefined;
    if (inner !== 'SelectStmt') {
      throw new ReadOnlyRefusal(`EXPLAIN is allowed only of a SELECT, not of ${statementName(inner ?? '')}`);
    }
    const analyze = explainAnalyzes(explain.options);
    if (analyze && !options.allowAnalyze) {
      throw new ReadOnlyRefusal('EXPLAIN ANALYZE runs the query: this source does not allow it');
    }
    const { reason, functions, operators } = walk((explain.query as Node).SelectStmt);
    if (reason) throw new ReadOnlyRefusal(reason);
    return { kind: 'explain', text, analyze, functions: [...functions], operators: [...operators] };
  }
  throw new ReadOnlyRefusal(
    `${statementName(kind ?? '')} is not allowed: only SELECT, WITH … SELECT and EXPLAIN are`,
  );
}

/** PostgreSQL's parser (WASM, ~15 MB resident): loaded on the first statement, not when the bot starts. */
function libpgQuery(): Promise<typeof import('libpg-query')> {
  return import('libpg-query');
}
