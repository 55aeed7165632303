import { defineTool } from '../agent-tool.js';
import type { AnswerSandbox } from './answer-sandbox.js';
import { runSqlTool } from './run-sql-tool.js';

/**
 * Why this file exists: `run_sql` in the registry's shape. The answer's sandbox session comes with the
 * turn's tool context (`answerSandbox`), so every call of one answer shares one database.
 */
export const runSqlAgentTool = defineTool<typeof runSqlTool.input, { answerSandbox: AnswerSandbox }>({
  name: runSqlTool.name,
  description: runSqlTool.description,
  input: runSqlTool.input,
  run: (input, context) => runSqlTool.run(input, { sandbox: context.deps.answerSandbox }),
});
