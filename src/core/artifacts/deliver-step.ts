import { renderCheckLine } from '../../render/check-messages.js';
import { safeFileComment, safeFileTitle } from '../../render/file-texts.js';
import type { BlockCheck } from '../checks/check-blocks.js';
import { type CodeBlock, extractCodeBlocks } from '../checks/code-blocks.js';
import { correctedBlocks, withCorrections } from '../checks/repair.js';
import { throwIfAborted } from '../errors.js';
import type { PostAnswerInput, PostAnswerStep } from '../post-answer/post-answer-step.js';
import type { SqlSandbox } from '../sandbox/sandbox.js';
import type { TaskStore } from '../tasks/task-store.js';
import type { ArtifactStore } from './artifact-store.js';
import { deliverDictionary } from './deliver-dictionary.js';
import { capFiles, MAX_CODE_FILES, MAX_DIAGRAMS, skippedFilesNote } from './delivery-caps.js';
import { diagramFiles } from './diagram-names.js';
import { type DiagramRenderer, diagramFailureNote } from './diagrams.js';
import { type CodeFile, codeFiles } from './file-names.js';
import type { FileUploader } from './file-uploader.js';
import { type OnceUploader, onceUploader } from './upload-once.js';

/**
 * Why this file exists: the answer handed over as files, after its text is in the thread (a
 * post-answer step, registered in src/core/post-answer/registry.ts). Substantial code blocks become
 * files named as a data engineer would (file-names.ts), each introduced by its block check line; every
 * ```mermaid block becomes a PNG (a diagram that does not parse stays a code block, with a one-line
 * note); the tables the DDL creates get a data dictionary (deliver-dictionary.ts); the task joins the
 * channel's design index. Every upload is claimed in the store first, so a resumed job uploads nothing
 * twice (upload-once.ts). An answer gets at most MAX_CODE_FILES files and MAX_DIAGRAMS pictures; the
 * rest are named in one note (delivery-caps.ts), and every diagram that failed in one note too.
 */

export const DELIVERABLES_STEP = 'deliverables';

export interface DeliveryDeps {
  files: FileUploader;
  artifacts: ArtifactStore;
  diagrams: DiagramRenderer;
  /** Opens the fresh session the answer's DDL runs in; absent when the sandbox is turned off. */
  sandbox?: SqlSandbox;
  store: Pick<TaskStore, 'getTask'>;
}

export function deliverablesStep(deps: DeliveryDeps): PostAnswerStep {
  return { name: DELIVERABLES_STEP, run: (input) => deliverAnswerFiles(deps, input) };
}

/** The step's work; callable on its own with the seam's input (tests, bench). */
export async function deliverAnswerFiles(deps: DeliveryDeps, input: PostAnswerInput): Promise<void> {
  const answer = deliveredAnswer(input.answerText, input.results);
  const blocks = extractCodeBlocks(answer.text);
  if (blocks.length === 0) return;
  const uploader = onceUploader(deps, input);
  const allCode = codeFiles(blocks);
  const code = capFiles(allCode, MAX_CODE_FILES);
  // Diagram names avoid every code file's name, uploaded or not, as before the cap.
  const taken = allCode.map((f) => f.path);
  const diagrams = capFiles(diagramFiles(blocks, taken), MAX_DIAGRAMS);
  const delivered = [
    ...(await deliverCode(uploader, input, blocks, code.kept, answer.checks)),
    ...(await deliverDiagrams(deps, uploader, input, blocks, diagrams.kept)),
  ];
  const skipped = skippedFilesNote(code.skipped, diagrams.skipped);
  if (skipped) await input.postOnce('files-skipped', safeFileComment(skipped));
  const dictionary = await deliverDictionary(deps, uploader, input, blocks);
  if (dictionary) delivered.push(dictionary);
  if (delivered.length > 0) await recordDesign(deps, input, delivered);
}

async function deliverCode(
  uploader: OnceUploader,
  input: PostAnswerInput,
  blocks: CodeBlock[],
  files: CodeFile[],
  checks: BlockCheck[],
) {
  const paths: string[] = [];
  for (const file of files) {
    const block = blocks.find((b) => b.index === file.blockIndex);
    if (!block) continue;
    throwIfAborted(input.signal);
    await uploader.upload(
      'code',
      {
        fileName: file.fileName,
        title: safeFileTitle(file.path),
        // The block's own text, as a POSIX text file (ending in a newline).
        bytes: new TextEncoder().encode(`${block.body}\n`),
      },
      safeFileComment(
        codeComment(
          file.path,
          checks.find((c) => c.index === block.index),
        ),
      ),
    );
    paths.push(file.path);
  }
  return paths;
}

/**
 * The answer as it is handed over: a block the repair round corrected is delivered in its corrected
 * form with that version's check (the file people download is the one that passed), everything else as
 * posted. Built from the stored repair reply, so a resumed step delivers the same files.
 */
export function deliveredAnswer(
  answerText: string,
  results: PostAnswerInput['results'],
): { text: string; checks: BlockCheck[] } {
  const checks = results.blockChecks ?? [];
  const repaired = results.repairedBlocks ?? [];
  if (!results.repairReply || repaired.length === 0) return { text: answerText, checks };
  const corrections = correctedBlocks(
    results.repairReply,
    repaired.map((c) => c.index),
  );
  return {
    text: withCorrections(answerText, corrections),
    checks: checks.map((c) => repaired.find((r) => r.index === c.index) ?? c),
  };
}

function codeComment(path: string, check: BlockCheck | undefined): string {
  return check ? renderCheckLine(check, 'mrkdwn', `\`${path}\``) : `\`${path}\``;
}

async function deliverDiagrams(
  deps: DeliveryDeps,
  uploader: OnceUploader,
  input: PostAnswerInput,
  blocks: CodeBlock[],
  files: CodeFile[],
) {
  const names: string[] = [];
  const failures: string[] = [];
  for (const file of files) {
    const block = blocks.find((b) => b.index === file.blockIndex);
    if (!block) continue;
    throwIfAborted(input.signal);
    const title = safeFileTitle(file.path);
    // Drawn before (a resumed step): not drawn again.
    if (!(await uploader.isUploaded(title))) {
      const result = await deps.diagrams.renderPng(block.body);
      if (!result.ok) {
        failures.push(`Block ${block.index}: ${diagramFailureNote(result)}`);
        continue;
      }
      await uploader.upload(
        'diagram',
        { fileName: file.fileName, title, bytes: result.png },
        safeFileComment(
          `Diagram of block ${block.index}: \`${file.path}\` (the source is the mermaid block above)`,
        ),
      );
    }
    names.push(file.path);
  }
  // One note for every diagram that stays a code block, not one post each.
  if (failures.length > 0) await input.postOnce('diagram-notes', safeFileComment(failures.join('\n')));
  return names;
}

async function recordDesign(deps: DeliveryDeps, input: PostAnswerInput, files: string[]): Promise<void> {
  const task = await deps.store.getTask(input.teamId, input.taskId);
  if (!task) return;
  await deps.artifacts.recordDesign({
    teamId: input.teamId,
    channelId: input.channelId,
    taskId: input.taskId,
    title: task.title,
    requesterId: task.requesterId,
    threadTs: input.threadTs,
    files,
  });
}
