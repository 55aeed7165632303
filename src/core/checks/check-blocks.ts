import type { CodeParsers, ParseOutcome, SqlDialect, SqlSandbox } from '../sandbox/sandbox.js';
import { type CodeBlock, extractCodeBlocks } from './code-blocks.js';
import { answerDialect, blockDialect, isSqlLanguage } from './dialect.js';
import { checkJson, checkJsonLines } from './json-check.js';
import { SqlRunner } from './sql-runner.js';

/**
 * Why this file exists: after an answer, the bot checks every fenced block itself (never trusting the
 * model's claim) and says what it found. A ✗ needs evidence: a failed run in DuckDB of SQL declared for
 * DuckDB, or the rejection of an engine's own parser (DuckDB, PostgreSQL, YAML, JSON). A parser that merely
 * lacks coverage of a dialect (node-sql-parser) can give a ✓ but never a ✗: its failure is "not checked".
 *
 * SQL blocks run in order in ONE fresh sandbox session, so a later block can use the tables of an earlier
 * one. The session is closed when the check ends. Pure core: the sandbox and the parsers are ports.
 */

export type CheckStatus = 'passed' | 'failed' | 'not_checked';

export interface BlockCheck {
  index: number;
  language: string;
  /** The dialect a SQL block was checked in (declared or not). */
  dialect?: SqlDialect;
  /** 1-based line of the block's opening fence in the answer. */
  line: number;
  status: CheckStatus;
  /** How it was checked, e.g. "ran in DuckDB", "PostgreSQL's parser". */
  method?: string;
  /** For a ✗: the engine's first error line. */
  error?: string;
  /** For a ✗: 1-based line inside the block, when the engine says. */
  errorLine?: number;
  /** Why a block was not checked, or what a parse-only ✓ could not run. */
  note?: string;
}

export interface CheckDeps {
  sandbox: SqlSandbox;
  parsers: CodeParsers;
}

export interface CheckOptions {
  /** Blocks past this many are "not checked" (bounds the work per answer). */
  maxBlocks: number;
  /** A block longer than this is "not checked". */
  maxBlockChars: number;
}

export const DEFAULT_CHECK_OPTIONS: CheckOptions = { maxBlocks: 20, maxBlockChars: 60_000 };

/** DuckDB errors that say the sandbox could not run the SQL here, not that the SQL is wrong. */
const COULD_NOT_RUN =
  /^(?:Permission Error|INTERRUPT Error|Interrupted:|Out of Memory Error|Catalog Error: (?:Table|Schema|View|Catalog) with name .* does not exist)/;

const TEMPLATED = /\{\{|\{%/;
const PSQL_META = /^\s*\\[a-z]/im;

export async function checkAnswerBlocks(
  markdown: string,
  deps: CheckDeps,
  options: CheckOptions = DEFAULT_CHECK_OPTIONS,
): Promise<BlockCheck[]> {
  const blocks = extractCodeBlocks(markdown);
  const fromProse = answerDialect(markdown);
  const sql = new SqlRunner(deps.sandbox);
  try {
    const checks: BlockCheck[] = [];
    for (const block of blocks) {
      checks.push(await checkBlock(block, fromProse, deps.parsers, sql, options, checks.length));
    }
    return checks;
  } finally {
    await sql.close();
  }
}

async function checkBlock(
  block: CodeBlock,
  fromProse: SqlDialect | undefined,
  parsers: CodeParsers,
  sql: SqlRunner,
  options: CheckOptions,
  checkedSoFar: number,
): Promise<BlockCheck> {
  const base = { index: block.index, language: block.language || 'text', line: block.line };
  if (checkedSoFar >= options.maxBlocks) {
    return { ...base, status: 'not_checked', note: `only the first ${options.maxBlocks} blocks are checked` };
  }
  if (block.body.length > options.maxBlockChars) {
    return { ...base, status: 'not_checked', note: 'too long to check' };
  }
  if (block.body.trim() === '') return { ...base, status: 'not_checked', note: 'empty' };
  if (isSqlLanguage(block.language)) {
    const dialect = blockDialect(block, fromProse);
    return {
      ...base,
      ...(dialect ? { dialect } : {}),
      ...(await checkSql(block.body, dialect, parsers, sql)),
    };
  }
  switch (block.language) {
    case 'yaml':
    case 'yml':
      return { ...base, ...fromParser(await parsers.parseYaml(block.body), 'YAML parser', true) };
    case 'json':
      return { ...base, ...fromParser(checkJson(block.body), 'JSON parser', true) };
    case 'jsonl':
    case 'ndjson':
      return { ...base, ...fromParser(checkJsonLines(block.body), 'JSON parser', true) };
    default:
      return { ...base, status: 'not_checked', note: 'no checker for this language' };
  }
}

type Verdict = Pick<BlockCheck, 'status' | 'method' | 'error' | 'errorLine' | 'note'>;

/** A parser's outcome as a verdict; `authoritative` says whether its rejection counts as evidence. */
function fromParser(outcome: ParseOutcome, method: string, authoritative: boolean, note?: string): Verdict {
  if (outcome.ok === true) return { status: 'passed', method, ...(note ? { note } : {}) };
  if (outcome.ok === 'unsupported') return { status: 'not_checked', note: outcome.reason };
  if (!authoritative) {
    return { status: 'not_checked', note: `${method} does not cover this${note ? `; ${note}` : ''}` };
  }
  return {
    status: 'failed',
    method,
    error: outcome.error,
    ...(outcome.line === undefined ? {} : { errorLine: outcome.line }),
  };
}

async function checkSql(
  body: string,
  dialect: SqlDialect | undefined,
  parsers: CodeParsers,
  sql: SqlRunner,
): Promise<Verdict> {
  if (TEMPLATED.test(body)) return { status: 'not_checked', note: 'templated SQL (Jinja)' };
  if (PSQL_META.test(body)) return { status: 'not_checked', note: 'psql meta-commands' };
  const run = await sql.run(body);
  if (run.kind === 'ran') {
    if (dialect !== 'postgres') return { status: 'passed', method: 'ran in DuckDB' };
    // DuckDB accepts syntax PostgreSQL does not (SELECT * EXCLUDE, GROUP BY ALL): PostgreSQL's parser decides.
    const outcome = await parsers.parseSql('postgres', body);
    if (outcome.ok === true)
      return { status: 'passed', method: "ran in DuckDB, parsed by PostgreSQL's parser" };
    if (outcome.ok === false) return fromParser(outcome, "PostgreSQL's parser", true);
    return { status: 'passed', method: 'ran in DuckDB' };
  }
  const duckdbSays = run.kind === 'failed' ? `DuckDB: ${run.error}` : run.reason;
  if (run.kind === 'failed' && dialect === 'duckdb' && !COULD_NOT_RUN.test(run.error)) {
    return { status: 'failed', method: 'ran in DuckDB', error: run.error, errorLine: run.errorLine };
  }
  if (dialect === undefined) {
    return {
      status: 'not_checked',
      note: `no dialect declared and it did not run in DuckDB (${duckdbSays})`,
    };
  }
  const outcome = await parsers.parseSql(dialect, body);
  switch (dialect) {
    case 'duckdb':
      return fromParser(outcome, "DuckDB's parser", true, `not run: ${duckdbSays}`);
    case 'postgres':
      return fromParser(outcome, "PostgreSQL's parser", true, `not run in DuckDB: ${duckdbSays}`);
    default:
      return fromParser(outcome, `the ${dialect} parser (node-sql-parser)`, false);
  }
}
