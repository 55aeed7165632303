/** The agent's data tools by name (the progress steps and the "Looked at" line name them too). */
export const DATA_TOOL = {
  listTables: 'list_tables',
  describeTable: 'describe_table',
  sampleRows: 'sample_rows',
  profileColumns: 'profile_columns',
  explainQuery: 'explain_query',
  runQuery: 'run_query',
} as const;

export type DataToolName = (typeof DATA_TOOL)[keyof typeof DATA_TOOL];

export const DATA_TOOL_NAMES: ReadonlySet<string> = new Set(Object.values(DATA_TOOL));
