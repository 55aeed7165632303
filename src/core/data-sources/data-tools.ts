import { z } from 'zod';
import { defineTool, type ToolContext } from '../agent-tool.js';
import type { AnswerDataAccess, DataToolOutcome } from './answer-data.js';
import { type DataSource, ReadOnlyRefusal, type TableRef } from './data-source.js';
import { DATA_TOOL, type DataToolName } from './data-tool-names.js';
import { descriptionText, planText, profilesText, queryText, sampleText, tablesText } from './result-text.js';

/**
 * Why this file exists: the agent's six read-only tools over the channel's data source (list,
 * describe, sample, profile, EXPLAIN, query). They are offered only to answers in a channel mapped to
 * a source (src/core/data-sources/grounding.ts); each call goes through the answer's AnswerDataAccess
 * (cap, mapping check, audit) and each result is masked and cut to a token budget before the model
 * reads it. The adapters behind the port refuse anything that is not one read-only statement.
 */

export type DataToolDeps = { dataAccess?: AnswerDataAccess };
type Context = ToolContext<DataToolDeps>;

const MAX_SQL_CHARS = 20_000;
const identifier = z.string().min(1).max(128);
const schemaName = identifier.describe('Schema, as list_tables shows it (e.g. public, main).');
const tableName = identifier.describe('Table or view name, without the schema.');
const sql = z.string().min(1).max(MAX_SQL_CHARS);

/** Runs one data call for the answer, or says why there is no source (never offered then). */
function withSource(
  context: Context,
  tool: DataToolName,
  statement: string,
  work: (source: DataSource, budget: number) => Promise<DataToolOutcome>,
) {
  const access = context.deps.dataAccess;
  if (!access) return { text: 'This channel has no data source.', isError: true };
  return access.call(tool, statement, (source) => work(source, access.resultChars));
}

/** Audits input the schema refused (runToolRound answers the model itself). */
function refusedInput(tool: DataToolName) {
  return async (input: unknown, problems: string, context: Context) => {
    // The statement as sent when there is one (an over-long query is audited as SQL, cut), else the input.
    const sent = (input as { sql?: unknown } | null)?.sql;
    const statement = typeof sent === 'string' ? sent : (JSON.stringify(input ?? null) ?? '');
    await context.deps.dataAccess?.refuseInput(tool, statement, problems);
  };
}

const nameOf = (table: TableRef) => `${table.schema}.${table.table}`;

/** defineTool with the data tools' deps spelled out (inferred, they would erase the registry's ToolDeps). */
function defineDataTool<Schema extends z.ZodType>(
  tool: Parameters<typeof defineTool<Schema, DataToolDeps>>[0],
) {
  return defineTool<Schema, DataToolDeps>(tool);
}

export const listTablesTool = defineDataTool({
  name: DATA_TOOL.listTables,
  description:
    "List the schemas and tables of this channel's data source (read-only), with kind and row estimates. Start here before designing for tables that exist.",
  input: z.object({
    schema: identifier.optional().describe('Only this schema; omit to list every schema.'),
  }),
  onInvalidInput: refusedInput(DATA_TOOL.listTables),
  run: (input, context) =>
    withSource(context, DATA_TOOL.listTables, input.schema ?? '*', async (source, budget) => {
      const list = await source.listTables(input.schema ? { schema: input.schema } : undefined);
      return { text: tablesText(list, budget), rows: list.tables.length };
    }),
});

export const describeTableTool = defineDataTool({
  name: DATA_TOOL.describeTable,
  description:
    'Describe one table of the data source: columns, types, nullability, primary and foreign keys, indexes, row estimate and size.',
  input: z.object({ schema: schemaName, table: tableName }),
  onInvalidInput: refusedInput(DATA_TOOL.describeTable),
  run: (input, context) =>
    withSource(context, DATA_TOOL.describeTable, nameOf(input), async (source, budget) => {
      const description = await source.describeTable(input);
      return {
        text: descriptionText(description, budget),
        rows: description.columns.length,
        table: nameOf(input),
      };
    }),
});

export const sampleRowsTool = defineDataTool({
  name: DATA_TOOL.sampleRows,
  description:
    'A few rows of one table (at most 20) to see real values and formats. Personal data (emails, phones, card numbers, national ids, names) comes back masked; never try to unmask it.',
  input: z.object({
    schema: schemaName,
    table: tableName,
    limit: z.number().int().min(1).max(20).default(10).describe('How many rows, 1 to 20.'),
  }),
  onInvalidInput: refusedInput(DATA_TOOL.sampleRows),
  run: (input, context) =>
    withSource(
      context,
      DATA_TOOL.sampleRows,
      `${nameOf(input)} limit ${input.limit}`,
      async (source, budget) => {
        const rows = await source.sampleRows({ schema: input.schema, table: input.table }, input.limit);
        return { text: sampleText(rows, input.table, budget), rows: rows.rows.length, table: nameOf(input) };
      },
    ),
});

export const profileColumnsTool = defineDataTool({
  name: DATA_TOOL.profileColumns,
  description:
    'Profile columns of one table as aggregates only: null share, distinct count, min/max and the most frequent values. Use it to set quality thresholds from real null rates and cardinalities.',
  input: z.object({
    schema: schemaName,
    table: tableName,
    columns: z
      .array(identifier)
      .min(1)
      .max(50)
      .optional()
      .describe('Only these columns; omit to profile every column.'),
  }),
  onInvalidInput: refusedInput(DATA_TOOL.profileColumns),
  run: (input, context) => {
    const target = `${nameOf(input)}${input.columns ? ` (${input.columns.join(', ')})` : ''}`;
    return withSource(context, DATA_TOOL.profileColumns, target, async (source, budget) => {
      const profiles = await source.profileColumns(
        { schema: input.schema, table: input.table },
        input.columns,
      );
      return {
        text: profilesText(nameOf(input), profiles, budget),
        rows: profiles.length,
        table: nameOf(input),
      };
    });
  },
});

export const explainQueryTool = defineDataTool({
  name: DATA_TOOL.explainQuery,
  description:
    "The data source's query plan for one read-only SELECT (EXPLAIN), to tune a query or an index with the real plan. `analyze` runs the query and is refused unless the source allows it.",
  input: z.object({
    sql: sql.describe('One SELECT (or WITH … SELECT) statement, without EXPLAIN.'),
    analyze: z
      .boolean()
      .default(false)
      .describe('EXPLAIN ANALYZE: runs the query for real timings; only where the source allows it.'),
  }),
  onInvalidInput: refusedInput(DATA_TOOL.explainQuery),
  run: (input, context) => {
    const statement = input.analyze ? `EXPLAIN ANALYZE ${input.sql}` : `EXPLAIN ${input.sql}`;
    return withSource(context, DATA_TOOL.explainQuery, statement, async (source, budget) => {
      // ANALYZE runs the query: only where the operator allowed it (the adapter checks it too).
      if (input.analyze && !source.allowsAnalyze)
        throw new ReadOnlyRefusal(
          'EXPLAIN ANALYZE is not allowed on this source; use EXPLAIN without analyze',
        );
      const plan = await source.explain(input.sql, { analyze: input.analyze });
      return { text: planText(plan, budget), rows: 0 };
    });
  },
});

export const runQueryTool = defineDataTool({
  name: DATA_TOOL.runQuery,
  description:
    'Run one read-only query (SELECT or WITH … SELECT) on the data source. Rows are capped, the statement times out, personal data comes back masked (a query reading a table with personal columns gets only its numbers back), and anything that writes or has side effects is refused. Prefer aggregates to row dumps.',
  input: z.object({ sql: sql.describe('One read-only SELECT statement.') }),
  onInvalidInput: refusedInput(DATA_TOOL.runQuery),
  run: (input, context) =>
    withSource(context, DATA_TOOL.runQuery, input.sql, async (source, budget) => {
      const rows = await source.query(input.sql);
      // Renamed or transformed columns hide personal data from masking by name: whole-result masking.
      const personal = await context.deps.dataAccess?.exposure.personalTablesRead(source, input.sql);
      return { text: queryText(rows, budget, personal ?? []), rows: rows.rows.length };
    }),
});

export const DATA_TOOLS = [
  listTablesTool,
  describeTableTool,
  sampleRowsTool,
  profileColumnsTool,
  explainQueryTool,
  runQueryTool,
] as const;
