import { defineTool, type ToolContext } from '../agent-tool.js';
import type { ArtifactStore } from './artifact-store.js';
import { dataDictionaryInput } from './data-dictionary.js';

export const PUBLISH_DATA_DICTIONARY = 'publish_data_dictionary';

/**
 * The agent's descriptions for the data dictionary: what each table and column means and which columns
 * hold personal data. Only descriptions come from the model; names, types, nullability and keys come
 * from the tables as the sandbox created them from the answer's DDL (see data-dictionary.ts). Recorded
 * per task; the bot builds the dictionary after the answer and uploads it as a CSV file.
 * The description is part of the cached prompt prefix: keep it byte-stable.
 */
export const publishDataDictionaryTool = defineTool({
  name: PUBLISH_DATA_DICTIONARY,
  description:
    'Describe the tables your answer introduces, for the data dictionary the bot attaches to your answer (a CSV file and a compact table in the thread). Give each table one line (what a row is, its grain, its source) and each column a short meaning; set pii to true for columns that hold personal data. Names must match your DDL; types, nullability and keys are read from the tables as created, so do not repeat them. Call it once per design answer that has DDL, before you finish; in a follow-up that changes the DDL, call it again for the tables that changed. Do not paste the dictionary into your answer text.',
  input: dataDictionaryInput,
  run: async (
    input,
    { deps, task }: ToolContext<{ artifacts: Pick<ArtifactStore, 'saveDictionaryInput'> }>,
  ) => {
    await deps.artifacts.saveDictionaryInput(task.teamId, task.id, input);
    const columns = input.tables.reduce((n, t) => n + t.columns.length, 0);
    return `Recorded descriptions of ${input.tables.length} table(s) and ${columns} column(s). The bot builds the dictionary from the tables as created after your answer and lists anything left without a description.`;
  },
});
