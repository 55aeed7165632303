import { createHash } from 'node:crypto';
import { exposeLinks, neutraliseMentions } from '../../render/index.js';
import type { CodeBlock } from '../checks/code-blocks.js';
import type { PostAnswerInput } from '../post-answer/post-answer-step.js';
import { answerPostKey } from '../post-answer/run-steps.js';
import type { SqlSandbox } from '../sandbox/sandbox.js';
import { answerTables } from './answer-tables.js';
import type { ArtifactStore } from './artifact-store.js';
import { buildDataDictionary, type DataDictionary } from './data-dictionary.js';
import { dictionaryCsv, dictionaryMarkdown, missingDescriptionsLine } from './dictionary-format.js';
import { DICTIONARY_FILE } from './file-names.js';
import type { FileUploader } from './file-uploader.js';
import { qualityChecks } from './quality-checks.js';
import type { OnceUploader } from './upload-once.js';

export { DICTIONARY_FILE };

/**
 * Why this file exists: the data dictionary of the tables the answer's DDL creates (answer-tables.ts),
 * with the agent's descriptions (publish_data_dictionary) and the quality checks covering each column:
 * a compact Markdown table in the thread with a check line naming what lacks a description, and the
 * CSV file. A follow-up whose DDL changes the dictionary posts the new version and deletes the previous
 * file (files.delete), so the thread keeps one; an unchanged dictionary is not posted again.
 */
export async function deliverDictionary(
  deps: { files: FileUploader; artifacts: ArtifactStore; sandbox?: SqlSandbox },
  uploader: OnceUploader,
  input: PostAnswerInput,
  blocks: CodeBlock[],
): Promise<string | undefined> {
  const report = await answerTables(blocks, deps.sandbox, input.answerSandbox);
  if (!report) return undefined;
  const dictionary = buildDataDictionary(
    report.tables,
    await deps.artifacts.dictionaryInput(input.teamId, input.taskId),
    qualityChecks(blocks),
  );
  const csv = dictionaryCsv(dictionary);
  const hash = createHash('sha256').update(csv).digest('hex');
  const earlier = (await deps.artifacts.uploadsOf(input.teamId, input.taskId, 'dictionary')).filter(
    (u) => u.turnId !== input.turnId && u.state === 'uploaded',
  );
  // The same tables, columns and descriptions as the dictionary already in the thread: nothing new.
  if (earlier.at(-1)?.contentHash === hash) return DICTIONARY_FILE;
  const replacing = earlier.length > 0;
  await postTable(input, dictionary, replacing, report.truncated);
  await uploader.upload(
    'dictionary',
    { fileName: DICTIONARY_FILE, title: DICTIONARY_FILE, bytes: new TextEncoder().encode(csv) },
    csvComment(replacing),
    hash,
  );
  // Only now, with the new file in the thread: the older versions go.
  for (const old of earlier) {
    await retireTable(input, old.turnId);
    if (old.fileId) await deps.files.remove(old.fileId);
    await deps.artifacts.markDeleted(input.teamId, old.id);
  }
  return DICTIONARY_FILE;
}

/** What an older dictionary's table message becomes, so the thread shows one current dictionary. */
export const RETIRED_TABLE_TEXT =
  '_Data dictionary: replaced by the updated version further down this thread._';

/**
 * An older answer's dictionary table, edited down to one line pointing at the new one. Best effort: a
 * table someone deleted, or an edit Slack refuses, leaves at worst an outdated table; the file (the
 * dictionary people download) is replaced either way. Repeating it after a crash writes the same line.
 */
async function retireTable(input: PostAnswerInput, turnId: number): Promise<void> {
  try {
    const ts = await input.slack.findPosted(
      input.channelId,
      answerPostKey(turnId, 'dictionary'),
      input.threadTs,
    );
    if (!ts) return;
    await input.slack.updateBlocks(input.channelId, ts, {
      text: RETIRED_TABLE_TEXT,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: RETIRED_TABLE_TEXT } }],
    });
  } catch (error) {
    input.logger.warn('could not mark an older data dictionary table as replaced', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** The Markdown table (a `markdown` block renders tables) and the check line, posted once per answer. */
async function postTable(
  input: PostAnswerInput,
  dictionary: DataDictionary,
  replacing: boolean,
  truncated: boolean,
): Promise<void> {
  const tables = dictionary.tableDescriptions.size;
  const heading = `**Data dictionary${replacing ? ' (updated)' : ''}:** ${tables} table${tables === 1 ? '' : 's'}, ${dictionary.rows.length} columns, as the sandbox created them from the DDL above.`;
  const notes = [
    missingDescriptionsLine(dictionary),
    dictionary.unmatched.length > 0
      ? `Descriptions for names the DDL does not create (left out): ${dictionary.unmatched.slice(0, 8).join(', ')}.`
      : undefined,
    truncated ? 'The design has more columns than the dictionary lists (the first 1,000).' : undefined,
  ].filter((line): line is string => line !== undefined);
  // Descriptions are model text: links shown with their address, no mention can be live.
  const markdown = neutraliseMentions(
    exposeLinks([heading, '', dictionaryMarkdown(dictionary), '', ...notes].join('\n')),
  );
  const key = answerPostKey(input.turnId, 'dictionary');
  const earlier = input.resumed
    ? await input.slack.findPosted(input.channelId, key, input.threadTs)
    : undefined;
  if (earlier) return;
  await input.slack.postBlocks(
    input.channelId,
    {
      text: `Data dictionary: ${tables} tables, ${dictionary.rows.length} columns`,
      blocks: [{ type: 'markdown', text: markdown }],
    },
    input.threadTs,
    key,
  );
}

function csvComment(replacing: boolean): string {
  const what = `\`${DICTIONARY_FILE}\`: one row per column (table, column, type, nullable, key, description, PII, checks)`;
  return replacing ? `${what}. Replaces the earlier version in this thread.` : `${what}.`;
}
