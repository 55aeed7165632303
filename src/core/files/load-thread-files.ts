import {
  type FileNoteEntry,
  fileReadText,
  fileRefusedText,
  filesNote,
  filesRefusedText,
  megabytes,
  rowsByColumns,
  sqlFileReadText,
} from '../../render/shared-file-texts.js';
import { maskText } from '../data-sources/pii-mask.js';
import { errorSummary } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AnswerSandbox } from '../sandbox/answer-sandbox.js';
import type { ThreadWriter } from '../slack-roles.js';
import type { FileLoadOutcome, FileToLoad } from './loaded-file.js';
import { claimedFormat, tableNameFor } from './table-names.js';
import type {
  SharedFileInfo,
  SharedFileLimits,
  SharedFileSource,
  ThreadFileRow,
  ThreadFileStore,
  ThreadRef,
} from './thread-files.js';

/**
 * Why this file exists: before each answer of a thread with shared files, the files are checked (shared
 * in this channel, within the limits), downloaded from Slack and loaded into the answer's sandbox as
 * tables, and the agent gets their profile in its input. Every answer loads them again from Slack (no
 * copy is kept: a file deleted in Slack is gone for the next answer too, and nothing the bot stores holds
 * the data). The bot says once per file, in the thread, whether it read it (rows × columns) or why not:
 * the reply is claimed in the store before it is posted and looked up by its metadata key if a crash cut
 * that short, so retries and restarts never repeat it.
 */

export interface ThreadFilesDeps {
  threadFiles: ThreadFileStore;
  sharedFiles: SharedFileSource;
  fileLimits: SharedFileLimits;
  slack: Pick<ThreadWriter, 'postText' | 'findPosted'>;
  logger: Logger;
  /** False when SANDBOX_ENABLED=false: files cannot be loaded anywhere. */
  sandboxOn: boolean;
}

/** A file about to be loaded this answer, with its row. */
interface Pending {
  row: ThreadFileRow;
  file: FileToLoad;
}

/** What one answer has done with the thread's files so far (it may look again for files shared meanwhile). */
export interface AnswerFiles {
  /** Rows handled by this answer already (loaded, or refused), with the bytes they count for. */
  readonly seen: Map<number, number>;
  readonly notes: FileNoteEntry[];
}

export function answerFiles(): AnswerFiles {
  return { seen: new Map(), notes: [] };
}

/** Passes over the thread's files per call: a file shared while one pass ran is taken by the next. */
const MAX_PASSES = 3;

/**
 * Loads the thread's files not yet handled by this answer into its sandbox, posts the replies due, and
 * returns the note for the agent ('' with no files). Called before the answer, and once more after it
 * for files shared while it was written (their messages were in its conversation already).
 */
export async function loadThreadFiles(
  deps: ThreadFilesDeps,
  thread: ThreadRef,
  sandbox: AnswerSandbox,
  answer: AnswerFiles,
  signal?: AbortSignal,
): Promise<string> {
  for (let pass = 0; pass < MAX_PASSES; pass += 1) {
    const rows = await deps.threadFiles.list(thread);
    const fresh = rows.filter((row) => !answer.seen.has(row.id) && row.status !== 'refused');
    if (fresh.length === 0) break;
    const pending = await checkFiles(deps, thread, rows, answer);
    if (pending.length > 0) await loadPending(deps, thread, sandbox, pending, answer.notes, signal);
  }
  await replyOnce(deps, thread);
  return filesNote(answer.notes);
}

/** files.info and the limits for each file not refused before; refusals are stored with their reason. */
async function checkFiles(
  deps: ThreadFilesDeps,
  thread: ThreadRef,
  rows: ThreadFileRow[],
  answer: AnswerFiles,
): Promise<Pending[]> {
  const { fileLimits: limits } = deps;
  const { notes, seen } = answer;
  const taken = new Set(rows.flatMap((r) => (r.tableName ? [r.tableName] : [])));
  const pending: Pending[] = [];
  let counted = 0;
  let totalBytes = 0;
  for (const row of rows) {
    if (row.status === 'refused') continue;
    const label = row.name ?? row.fileId;
    counted += 1;
    const handled = seen.get(row.id);
    if (handled !== undefined) {
      totalBytes += handled;
      continue;
    }
    seen.set(row.id, 0);
    if (counted > limits.maxFilesPerTask) {
      // Not asked about in Slack (no files.info per extra file): named as the event named it.
      await refuse(deps, thread, row, label, overLimit(limits.maxFilesPerTask), notes);
      continue;
    }
    const info = await deps.sharedFiles.info(row.fileId);
    if (!info.ok && transientInfoError(info.error)) {
      // Slack could not answer now: nothing is decided about the file; the next answer asks again.
      notes.push({
        kind: 'refused',
        name: label,
        reason: 'not readable in Slack just now; tried again next answer',
      });
      continue;
    }
    if (!info.ok) {
      await refuse(deps, thread, row, label, infoFailure(info.error), notes);
      continue;
    }
    const file = info.file;
    if (!file.sharedIn.includes(thread.channelId)) {
      // Someone else's file: its real name is not ours to show or keep; the event's name (or id) is used.
      await refuse(deps, thread, row, label, 'not shared in this conversation', notes);
      continue;
    }
    const why = refusal(file, limits, totalBytes);
    if (why) {
      await refuse(deps, thread, row, file.name, why, notes);
      continue;
    }
    totalBytes += file.size;
    seen.set(row.id, file.size);
    const table = row.tableName ?? tableNameFor(file.name, taken);
    taken.add(table);
    await deps.threadFiles.update(thread.teamId, row.id, { name: file.name, tableName: table });
    pending.push({ row: { ...row, name: file.name, tableName: table }, file: toLoad(deps, file, table) });
  }
  return pending;
}

function overLimit(max: number): string {
  return `over the limit of ${max} ${max === 1 ? 'file' : 'files'} a task reads`;
}

function refusal(file: SharedFileInfo, limits: SharedFileLimits, totalBytes: number): string | undefined {
  if (file.size > limits.maxFileBytes)
    return `larger than the ${megabytes(limits.maxFileBytes)} a file may have (${megabytes(file.size)})`;
  if (totalBytes + file.size > limits.maxTotalBytes)
    return `over the ${megabytes(limits.maxTotalBytes)} all files of a task may have together`;
  if (!file.downloadUrl) return 'not a file stored in Slack';
  return undefined;
}

/** files.info errors that say nothing about the file (Slack's rate limit, its own or the network's failure). */
const TRANSIENT_INFO_ERRORS = new Set([
  'ratelimited',
  'request_failed',
  'fatal_error',
  'internal_error',
  'service_unavailable',
  'timeout',
  'request_error',
]);

function transientInfoError(error: string): boolean {
  return TRANSIENT_INFO_ERRORS.has(error) || /^http_(5\d\d|429|error)$/.test(error);
}

function infoFailure(error: string): string {
  if (error === 'file_not_found' || error === 'file_deleted') return 'no longer in Slack';
  if (error === 'missing_scope' || error === 'no_permission')
    return 'not readable by the bot: the app needs the `files:read` scope (reinstall it with the current manifest)';
  return `not readable in Slack (${error})`;
}

function toLoad(deps: ThreadFilesDeps, file: SharedFileInfo, table: string): FileToLoad {
  const cap = Math.min(file.size, deps.fileLimits.maxFileBytes);
  return {
    name: file.name,
    table,
    claimed: claimedFormat(file.name),
    maxBytes: cap,
    overLimitReason:
      cap === file.size
        ? `larger than Slack said it was (${file.size.toLocaleString('en-US')} bytes)`
        : `larger than the ${megabytes(deps.fileLimits.maxFileBytes)} a file may have`,
    open: (signal) => deps.sharedFiles.open(file, signal),
  };
}

/** Loads the checked files into the session; a file read before that fails now is only noted. */
async function loadPending(
  deps: ThreadFilesDeps,
  thread: ThreadRef,
  sandbox: AnswerSandbox,
  pending: Pending[],
  notes: FileNoteEntry[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const outcomes = await loadIntoSandbox(deps, sandbox, pending, signal);
  if (!outcomes) {
    // The sandbox is busy or failed to start: nothing is decided; the next answer tries again.
    for (const { row } of pending)
      notes.push({
        kind: 'refused',
        name: row.name ?? row.fileId,
        reason: 'the sandbox could not take it now',
      });
    return;
  }
  for (const [index, { row }] of pending.entries()) {
    const outcome = outcomes[index] ?? { ok: false, reason: 'not loaded' };
    const name = row.name ?? row.fileId;
    if (!outcome.ok && outcome.transient) {
      // Not judged (the sandbox stopped over another file, a download timed out): kept `new`, no reply,
      // and tried again on the next answer.
      notes.push({
        kind: 'refused',
        name,
        reason: `not loaded now (${maskText(outcome.reason)}); tried again next answer`,
      });
      continue;
    }
    if (!outcome.ok) {
      if (row.status === 'new') await refuse(deps, thread, row, name, outcome.reason, notes);
      else
        notes.push({
          kind: 'refused',
          name,
          reason: `could not be loaded again: ${maskText(outcome.reason)}`,
        });
      continue;
    }
    notes.push(noteFor(name, outcome));
    if (row.status === 'new') {
      const detail =
        outcome.format === 'sql' ? 'SQL text' : rowsByColumns(outcome.rows, outcome.columns.length);
      await deps.threadFiles.update(thread.teamId, row.id, { status: 'read', detail });
    }
  }
}

async function loadIntoSandbox(
  deps: ThreadFilesDeps,
  sandbox: AnswerSandbox,
  pending: Pending[],
  signal: AbortSignal | undefined,
): Promise<FileLoadOutcome[] | undefined> {
  if (!deps.sandboxOn) {
    const reason = 'not loaded: the SQL sandbox is turned off (SANDBOX_ENABLED=false)';
    return pending.map(() => ({ ok: false, reason }));
  }
  try {
    const session = await sandbox.session();
    if (!session.loadFiles) return undefined;
    return await session.loadFiles(
      pending.map((p) => p.file),
      signal,
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    deps.logger.warn('could not load shared files', { error: errorSummary(error) });
    return undefined;
  }
}

function noteFor(name: string, outcome: Extract<FileLoadOutcome, { ok: true }>): FileNoteEntry {
  if (outcome.format === 'sql') {
    const { text, truncated, check } = outcome;
    return { kind: 'sql', name, text, truncated, ...(check ? { check } : {}) };
  }
  return { kind: 'table', name, table: outcome.table, rows: outcome.rows, columns: outcome.columns };
}

async function refuse(
  deps: ThreadFilesDeps,
  thread: ThreadRef,
  row: ThreadFileRow,
  name: string,
  why: string,
  notes: FileNoteEntry[],
): Promise<void> {
  // Our reasons are fixed sentences; masked anyway, as a second wall, before they are kept or shown.
  const reason = maskText(why);
  if (row.status === 'new') {
    await deps.threadFiles.update(thread.teamId, row.id, { name, status: 'refused', detail: reason });
  }
  notes.push({
    kind: 'refused',
    name,
    reason: row.status === 'new' ? reason : `no longer readable: ${reason}`,
  });
}

/**
 * Posts one reply for every file decided and not yet told (one line each; files refused for the same
 * reason share a line): all its rows are claimed first, and claimed ones (a crash between the claim and
 * the done mark) are looked up by the reply's key before anything is posted again.
 */
async function replyOnce(deps: ThreadFilesDeps, thread: ThreadRef): Promise<void> {
  let due = (await deps.threadFiles.list(thread)).filter(
    (row) => row.status !== 'new' && row.replyState !== 'done',
  );
  const done = async (rows: ThreadFileRow[]) => {
    for (const row of rows) await deps.threadFiles.setReplyState(thread.teamId, row.id, 'done');
  };
  try {
    const claimed = due.filter((row) => row.replyState === 'claimed');
    if (claimed.length > 0) {
      const earlier = await deps.slack.findPosted(thread.channelId, replyKey(claimed), thread.threadTs);
      if (earlier) {
        await done(claimed);
        due = due.filter((row) => row.replyState !== 'claimed');
      }
    }
    if (due.length === 0) return;
    for (const row of due) await deps.threadFiles.setReplyState(thread.teamId, row.id, 'claimed');
    await deps.slack.postText(thread.channelId, filesReplyText(due), thread.threadTs, replyKey(due));
    await done(due);
  } catch (error) {
    // Left claimed: the next answer of the thread looks it up and posts it only if it never landed.
    deps.logger.warn('could not post the reply about shared files', { error: errorSummary(error) });
  }
}

/** The key of a reply about these rows: its first row (every row of a reply is claimed before it is posted). */
function replyKey(rows: readonly ThreadFileRow[]): string {
  return `thread-files-${Math.min(...rows.map((row) => row.id))}`;
}

function filesReplyText(rows: readonly ThreadFileRow[]): string {
  const lines: string[] = [];
  const refusedBy = new Map<string, string[]>();
  for (const row of rows) {
    const name = row.name ?? row.fileId;
    if (row.status === 'refused') {
      const reason = row.detail ?? 'not readable';
      refusedBy.set(reason, [...(refusedBy.get(reason) ?? []), name]);
    } else if (row.detail === 'SQL text') lines.push(sqlFileReadText(name));
    else lines.push(fileReadText(name, row.tableName ?? '', row.detail ?? ''));
  }
  for (const [reason, names] of refusedBy)
    lines.push(
      names.length === 1 ? fileRefusedText(names[0] ?? '', reason) : filesRefusedText(names, reason),
    );
  return lines.join('\n');
}
