import { slackTextToPlain } from '../render/index.js';
import { failureMessage } from '../render/task-messages.js';
import { abortableSlack } from './abortable-slack.js';
import { announceRequests } from './collaboration/requests.js';
import { throwIfAborted } from './errors.js';
import type { Job } from './jobs.js';
import { THREAD_NOT_READ_TEXT } from './messages.js';
import { NO_USAGE, type Task } from './model.js';
import { runAgentTurn, type TurnDeps } from './run-turn.js';
import { postCommandParent } from './start-task.js';
import { describe } from './work-runner.js';

/** How much of a foreign thread is passed to the model as context. */
const MAX_CONTEXT_MESSAGES = 50;
const MAX_CONTEXT_CHARS = 20_000;

/**
 * One job: brings a task's thread up to date. Every step looks at what is stored first, so a job run
 * again after a crash continues where the last run stopped and never answers a message twice:
 * the parent of a command is posted once, thread context is added once, the conversation is answered
 * only if its last word is a human's, and collaboration requests are announced once.
 */
export async function runTaskJob(turnDeps: TurnDeps, job: Job, signal?: AbortSignal): Promise<void> {
  // Once the job is aborted (lease lost, shutdown, Stop), none of its steps writes to Slack again.
  const deps = signal ? { ...turnDeps, slack: abortableSlack(turnDeps.slack, signal) } : turnDeps;
  let task = deps.store.getTask(job.teamId, job.taskId);
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
  const lastRole = deps.store.listTurns(task.teamId, task.id).at(-1)?.role;
  if (task.status !== 'failed' && lastRole === 'user') {
    // The turn gets the unwrapped port: it wraps it itself, and a Stop still says who stopped it.
    await runAgentTurn(turnDeps, { ...task, threadTs }, signal);
  } else if (lastRole === 'assistant' && (task.status === 'running' || task.status === 'queued')) {
    // The answer was stored but the process stopped before the task was marked: finish the record.
    deps.store.completeTask(task.teamId, task.id, NO_USAGE, 0);
  }
  throwIfAborted(signal);
  await announceRequests(deps, task.teamId, task.id);
}

const CONTEXT_INTRO = 'Earlier messages in this Slack thread, for context:';

/**
 * A mention in someone else's thread: that thread, read once, goes before the request in the first
 * turn. A job run again after a crash finds the context already there and does not read it twice.
 */
async function addThreadContext(
  deps: TurnDeps,
  task: Task & { threadTs: string },
  mentionTs: string,
): Promise<void> {
  const first = deps.store.firstTurn(task.teamId, task.id);
  if (!first || first.content.startsWith(CONTEXT_INTRO)) return;
  const content = await withThreadContext(deps, task, mentionTs, first.content);
  if (content !== first.content) deps.store.setTurnContent(task.teamId, first.id, content);
}

/** Reads the thread the bot was mentioned in, once, and puts it before the request. */
async function withThreadContext(
  deps: TurnDeps,
  task: Task,
  mentionTs: string,
  request: string,
): Promise<string> {
  try {
    const history = await deps.slack.readThread(task.channelId, task.threadTs ?? mentionTs);
    const lines = history
      .filter((m) => m.ts !== mentionTs && m.text.trim() !== '' && !m.isBot)
      .slice(-MAX_CONTEXT_MESSAGES)
      .map((m) => `- ${m.userId ? `@${m.userId}` : 'someone'}: ${slackTextToPlain(m.text)}`);
    if (lines.length === 0) return request;
    const context = lines.join('\n').slice(-MAX_CONTEXT_CHARS);
    return `${CONTEXT_INTRO}\n${context}\n\nMy request: ${request}`;
  } catch (error) {
    deps.logger.warn('could not read the thread for context', {
      teamId: task.teamId,
      error: describe(error),
    });
    await deps.slack.postEphemeral(
      task.channelId,
      task.requesterId,
      THREAD_NOT_READ_TEXT,
      task.threadTs ?? undefined,
    );
    return request;
  }
}

/**
 * The worker gave up on a task's job (it kept failing, or kept killing its process): the task is
 * marked failed and its thread gets the failure note with a Retry button, so it is never left
 * "in progress" with nothing queued.
 */
export async function giveUpOnTask(deps: TurnDeps, job: Job): Promise<void> {
  const task = deps.store.getTask(job.teamId, job.taskId);
  if (!task || task.status === 'done' || task.status === 'failed') return;
  deps.store.failTask(task.teamId, task.id, 'internal_error', NO_USAGE, 0);
  if (!task.threadTs) return;
  await deps.slack.postBlocks(
    task.channelId,
    failureMessage('Something went wrong on my side and I stopped retrying.', task.id),
    task.threadTs,
  );
}
