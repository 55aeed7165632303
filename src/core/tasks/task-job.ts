import { failureMessage, GAVE_UP_TEXT } from '../../render/task-messages.js';
import { announceRequests } from '../collaboration/requests.js';
import { NO_USAGE, type Task } from '../domain.js';
import { abortReason, JobAbortedError, throwIfAborted } from '../errors.js';
import { type AnswerFiles, answerFiles, loadThreadFiles } from '../files/load-thread-files.js';
import { abortableSlack } from '../jobs/abortable-slack.js';
import type { Job } from '../jobs/jobs.js';
import { cannotPostText } from '../messages.js';
import { runPostAnswerSteps } from '../post-answer/run-steps.js';
import { type AnswerSandbox, answerSandbox, SANDBOX_OFF } from '../sandbox/answer-sandbox.js';
import { runAgentTurn, type TurnDeps } from './run-turn.js';
import { postCommandParent } from './start-task.js';
import { addThreadContext } from './thread-context.js';

/**
 * One job: brings a task's thread up to date. Every step looks at what is stored first, so a job run
 * again after a crash continues where the last run stopped and never answers a message twice:
 * the parent of a command is posted once, thread context is added once, the conversation is answered
 * only if its last word is a human's, and collaboration requests are announced once.
 */
export async function runTaskJob(turnDeps: TurnDeps, job: Job, signal?: AbortSignal): Promise<void> {
  const { deps, afterStop } = abortableDeps(turnDeps, signal);
  let task = await deps.store.getTask(job.teamId, job.taskId);
  if (!task) return;
  if (!task.threadTs) {
    const threadTs = await postCommandParent(deps, task, job.payload.responseUrl, job.attempts > 1);
    if (!threadTs) return;
    task = { ...task, threadTs };
  }
  const threadTs = task.threadTs as string;
  const mentionTs = job.payload.contextFromThreadOf;
  if (mentionTs) await addThreadContext(deps, { ...task, threadTs }, mentionTs);
  // A failed task waits for a reply or the Retry button (which re-queue it); a stray job never re-runs it.
  throwIfAborted(signal);
  await answerAndFollowUp({ deps, afterStop }, { ...task, threadTs }, mentionTs !== undefined, signal);
  await announceRequests(afterStop, task.teamId, task.id);
}

/** The job's Slack ports: `deps` writes nothing once the job is aborted, `afterStop` still may after a Stop. */
function abortableDeps(turnDeps: TurnDeps, signal: AbortSignal | undefined) {
  // Once the job is aborted (lease lost, shutdown, Stop), none of its steps writes to Slack again.
  const deps = signal ? { ...turnDeps, slack: abortableSlack(turnDeps.slack, signal) } : turnDeps;
  // What may still be written after a Stop (the "stopped by" line, the pings of a stored answer), but
  // never after a lost lease or a shutdown; it also runs the worker's checks before each Slack call.
  const afterStop = signal
    ? { ...turnDeps, slack: abortableSlack(turnDeps.slack, signal, { allowAfterStop: true }) }
    : turnDeps;
  return { deps, afterStop };
}

/**
 * Answers the conversation if its last word is a human's (or finishes the record of an answer stored
 * before a crash), then runs what follows a posted answer, all in one sandbox session.
 */
async function answerAndFollowUp(
  { deps, afterStop }: { deps: TurnDeps; afterStop: TurnDeps },
  task: Task & { threadTs: string },
  threadRead: boolean,
  signal: AbortSignal | undefined,
): Promise<void> {
  const lastRole = (await deps.store.listTurns(task.teamId, task.id)).at(-1)?.role;
  // One sandbox session per answer: the agent's run_sql calls and the post-answer steps share it.
  const sandbox = answerSandbox(deps.sandbox ?? SANDBOX_OFF);
  try {
    let justAnswered = false;
    if (task.status !== 'failed' && lastRole === 'user') {
      // The thread's shared files are loaded into the answer's sandbox first (and told about once).
      const files = answerFiles();
      const filesNote = await threadFilesNote(deps, task, sandbox, files, signal);
      // The turn wraps the port itself (with Slack's own stop too); a Stop still says who stopped it.
      await runAgentTurn(afterStop, task, signal, { answerSandbox: sandbox, threadRead, filesNote });
      // Files shared while it was written: read and told about now (the next answer has their profile).
      if (!abortReason(signal)) await threadFilesNote(deps, task, sandbox, files, signal);
      justAnswered = await answeredNow(deps, task, signal);
    } else if (lastRole === 'assistant' && (task.status === 'running' || task.status === 'queued')) {
      // The answer was stored but the process stopped before the task was marked: finish the record.
      await deps.store.completeTask(task.teamId, task.id, NO_USAGE, 0);
      justAnswered = true;
    }
    // The turn is stored now. A Stop pressed after the answer ended (or one that ended it) has nothing
    // left to stop: the requests recorded still get their pings. Only a lost lease or a shutdown stops
    // the writes here (another run takes over, and announces them once).
    const aborted = abortReason(signal);
    if (aborted && aborted.kind !== 'stopped') throw new JobAbortedError(aborted);
    // What follows a posted answer (checks of its code blocks, …), each step exactly once.
    if (deps.answerSteps && aborted?.kind !== 'stopped') {
      await runPostAnswerSteps({ ...deps, answerSteps: deps.answerSteps }, task, {
        answerSandbox: sandbox,
        signal,
        justAnswered,
      });
    }
  } finally {
    await sandbox.close();
  }
}

/** Loads the files shared in the task's thread, if any; the summary for the agent ('' with none). */
async function threadFilesNote(
  deps: TurnDeps,
  task: Task & { threadTs: string },
  sandbox: AnswerSandbox,
  files: AnswerFiles,
  signal: AbortSignal | undefined,
): Promise<string> {
  const { threadFiles, sharedFiles, fileLimits } = deps;
  if (!threadFiles || !sharedFiles || !fileLimits) return '';
  return loadThreadFiles(
    {
      threadFiles,
      sharedFiles,
      fileLimits,
      slack: deps.slack,
      logger: deps.logger.child({ teamId: task.teamId, taskId: task.id }),
      sandboxOn: deps.sandbox !== undefined,
    },
    { teamId: task.teamId, channelId: task.channelId, threadTs: task.threadTs },
    sandbox,
    files,
    signal,
  );
}

/** The turn just run ended with an answer (not a failure, not a Stop). */
async function answeredNow(deps: TurnDeps, task: Task, signal: AbortSignal | undefined): Promise<boolean> {
  if (abortReason(signal)) return false;
  const status = (await deps.store.getTask(task.teamId, task.id))?.status;
  return status === 'done' || status === 'waiting_for_answers';
}

/**
 * The worker gave up on a task's job (it kept failing, or kept killing its process): the task is
 * marked failed and its thread gets the failure note with a Retry button, so it is never left
 * "in progress" with nothing queued.
 */
export async function giveUpOnTask(deps: TurnDeps, job: Job): Promise<void> {
  const task = await deps.store.getTask(job.teamId, job.taskId);
  if (!task || task.status === 'done' || task.status === 'failed') return;
  deps.metrics?.answerFinished('failed');
  await deps.store.failTask(task.teamId, task.id, 'internal_error', NO_USAGE, 0);
  if (!task.threadTs) {
    // The command's parent never got posted (e.g. Slack kept timing out): tell the requester privately.
    const url = job.payload.responseUrl;
    if (url) await deps.slack.respondPrivately(url, cannotPostText('internal_error'));
    return;
  }
  await deps.slack.postBlocks(task.channelId, failureMessage(GAVE_UP_TEXT, task.id), task.threadTs);
}
