import { slackTextToPlain } from '../../render/index.js';
import { failureMessage, GAVE_UP_TEXT } from '../../render/task-messages.js';
import { announceRequests } from '../collaboration/requests.js';
import { NO_USAGE, type Task } from '../domain.js';
import { abortReason, errorSummary, JobAbortedError, throwIfAborted } from '../errors.js';
import { abortableSlack } from '../jobs/abortable-slack.js';
import type { Job } from '../jobs/jobs.js';
import { cannotPostText, THREAD_NOT_READ_TEXT } from '../messages.js';
import { runPostAnswerSteps } from '../post-answer/run-steps.js';
import { answerSandbox, SANDBOX_OFF } from '../sandbox/answer-sandbox.js';
import { estimateTokens } from './context-budget.js';
import { runAgentTurn, type TurnDeps } from './run-turn.js';
import { postCommandParent } from './start-task.js';

/**
 * Share of MAX_CONTEXT_TOKENS a foreign thread may take as context. It lives in the first turn, which
 * is always kept, so it must leave room for the conversation that follows.
 */
const THREAD_CONTEXT_SHARE = 0.25;

/**
 * One job: brings a task's thread up to date. Every step looks at what is stored first, so a job run
 * again after a crash continues where the last run stopped and never answers a message twice:
 * the parent of a command is posted once, thread context is added once, the conversation is answered
 * only if its last word is a human's, and collaboration requests are announced once.
 */
export async function runTaskJob(turnDeps: TurnDeps, job: Job, signal?: AbortSignal): Promise<void> {
  const { deps, afterStop } = abortableDeps(turnDeps, signal);
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
  const lastRole = deps.store.listTurns(task.teamId, task.id).at(-1)?.role;
  // One sandbox session per answer: the agent's run_sql calls and the post-answer steps share it.
  const sandbox = answerSandbox(deps.sandbox ?? SANDBOX_OFF);
  try {
    let justAnswered = false;
    if (task.status !== 'failed' && lastRole === 'user') {
      // The turn wraps the port itself (with Slack's own stop too); a Stop still says who stopped it.
      await runAgentTurn(afterStop, task, signal, { answerSandbox: sandbox, threadRead });
      justAnswered = answeredNow(deps, task, signal);
    } else if (lastRole === 'assistant' && (task.status === 'running' || task.status === 'queued')) {
      // The answer was stored but the process stopped before the task was marked: finish the record.
      deps.store.completeTask(task.teamId, task.id, NO_USAGE, 0);
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

/** The turn just run ended with an answer (not a failure, not a Stop). */
function answeredNow(deps: TurnDeps, task: Task, signal: AbortSignal | undefined): boolean {
  if (abortReason(signal)) return false;
  const status = deps.store.getTask(task.teamId, task.id)?.status;
  return status === 'done' || status === 'waiting_for_answers';
}

const CONTEXT_INTRO = 'Earlier messages in this Slack thread, for context:';
/** Separates a first turn's thread context from the request itself. */
export const REQUEST_MARKER = '\n\nMy request: ';

/** How one message of a foreign thread appears in the context (also how an edit or deletion finds it). */
export function contextLine(userId: string | undefined, text: string): string {
  return `- ${userId ? `@${userId}` : 'someone'}: ${slackTextToPlain(text)}`;
}

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
    const history = await deps.slack.readThread(task.channelId, task.threadTs ?? mentionTs, mentionTs);
    // Up to the mention: later replies in the thread are follow-ups, answered as turns of their own.
    const lines = history
      .filter((m) => tsBefore(m.ts, mentionTs) && m.text.trim() !== '' && !m.isBot)
      .map((m) => contextLine(m.userId, m.text));
    const kept = newestWithin(lines, Math.floor(deps.contextBudgetTokens * THREAD_CONTEXT_SHARE));
    if (kept.length === 0) return request;
    return `${CONTEXT_INTRO}\n${kept.join('\n')}${REQUEST_MARKER}${request}`;
  } catch (error) {
    deps.logger.warn('could not read the thread for context', {
      teamId: task.teamId,
      error: errorSummary(error),
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
 * The thread's lines that fit in `budgetTokens`, newest kept first (those right before the mention
 * matter most); the thread's first message, which usually states the problem, is kept when it fits,
 * with a note saying how many messages in between were left out.
 */
export function newestWithin(lines: readonly string[], budgetTokens: number): string[] {
  const first = lines[0];
  if (first === undefined) return [];
  const note = (n: number) => `- (${n} earlier messages left out)`;
  const reserved = estimateTokens(first) + estimateTokens(note(lines.length));
  const kept: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 1; i--) {
    const cost = estimateTokens(lines[i] ?? '');
    if (used + cost + reserved > budgetTokens) {
      const omitted = i; // lines 1..i are left out
      return reserved <= budgetTokens ? [first, note(omitted), ...kept] : kept;
    }
    kept.unshift(lines[i] ?? '');
    used += cost;
  }
  return [first, ...kept];
}

/** Slack timestamps ("1700000000.000100") compared exactly: seconds, then the sequence part. */
function tsBefore(a: string, b: string): boolean {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  if (as.length !== bs.length || as !== bs) return Number(as) < Number(bs);
  return af.padEnd(6, '0') < bf.padEnd(6, '0');
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
  if (!task.threadTs) {
    // The command's parent never got posted (e.g. Slack kept timing out): tell the requester privately.
    const url = job.payload.responseUrl;
    if (url) await deps.slack.respondPrivately(url, cannotPostText('internal_error'));
    return;
  }
  await deps.slack.postBlocks(task.channelId, failureMessage(GAVE_UP_TEXT, task.id), task.threadTs);
}
