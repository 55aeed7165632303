import type { CodeBlock } from '../checks/code-blocks.js';
import { isSqlLanguage } from '../checks/dialect.js';
import type { AnswerSandbox } from '../sandbox/answer-sandbox.js';
import type { SandboxSession, SqlSandbox } from '../sandbox/sandbox.js';
import { splitSqlStatements } from '../sandbox/split-sql.js';
import type { TablesReport } from './table-schema.js';

/**
 * Why this file exists: the data dictionary describes the tables the answer's DDL creates, with the
 * names and types the database gives them. The answer's DDL statements (CREATE SCHEMA/TABLE, ALTER
 * TABLE, COMMENT ON) are run in a fresh sandbox session (so the agent's scratch tables never enter the
 * dictionary) and the session's catalog is read back. When none of that DDL runs (another dialect), the
 * tables the agent built with run_sql in the answer's own session are used instead.
 */

const DDL = /^\s*(?:create\s+(?:or\s+replace\s+)?(?:schema|table)\b|alter\s+table\b|comment\s+on\b)/i;
const QUALIFIED_TABLE =
  /^\s*create\s+(?:or\s+replace\s+)?table\s+(?:if\s+not\s+exists\s+)?("?[\w$]+"?)\s*\.\s*"?[\w$]+"?/i;
/** Calls one fresh session may spend on the DDL (a failing statement costs one call each). */
const MAX_CALLS = 12;

/** The answer's DDL statements, in order, schemas its tables need created first. */
export function ddlStatements(blocks: CodeBlock[]): string[] {
  const statements = blocks
    .filter((block) => isSqlLanguage(block.language))
    .flatMap((block) => splitSqlStatements(block.body).map((s) => s.text))
    .filter((text) => DDL.test(withoutLeadingComments(text)));
  const schemas = new Set<string>();
  for (const text of statements) {
    const schema = QUALIFIED_TABLE.exec(withoutLeadingComments(text))?.[1];
    if (schema && !/^"?main"?$/i.test(schema)) schemas.add(schema);
  }
  if (statements.length === 0) return [];
  return [...[...schemas].map((s) => `CREATE SCHEMA IF NOT EXISTS ${s}`), ...statements];
}

export async function answerTables(
  blocks: CodeBlock[],
  sandbox: SqlSandbox | undefined,
  answerSandbox: AnswerSandbox,
): Promise<TablesReport | undefined> {
  const ddl = ddlStatements(blocks);
  if (ddl.length === 0) return undefined;
  const created = sandbox ? await runInFreshSession(sandbox, ddl) : undefined;
  if (created && created.tables.length > 0) return created;
  try {
    const own = await (await answerSandbox.session()).describeTables?.();
    return own && own.tables.length > 0 ? own : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the statements, skipping any that fail, and reads the catalog; undefined when unavailable. */
async function runInFreshSession(
  sandbox: SqlSandbox,
  statements: string[],
): Promise<TablesReport | undefined> {
  let session: SandboxSession | undefined;
  try {
    session = await sandbox.openSession();
    let from = 0;
    for (let call = 0; call < MAX_CALLS && from < statements.length; call += 1) {
      const report = await session.run(statements.slice(from).join('\n;\n'));
      const failed = report.statements.findIndex((s) => !s.ok);
      if (failed < 0 && report.notRun === 0) break;
      // The failed statement is skipped; the rest are tried again after it.
      from += failed < 0 ? report.statements.length : failed + 1;
    }
    return await session.describeTables?.();
  } catch {
    return undefined;
  } finally {
    await session?.close().catch(() => undefined);
  }
}

function withoutLeadingComments(sql: string): string {
  return sql.replace(/^(?:\s*--[^\n]*\n|\s*\/\*[\s\S]*?\*\/)*/, '');
}
