import { slackTextToPlain } from '../../render/index.js';
import type { AssistantThreadStore } from '../assistant/assistant-threads.js';
import type { Task } from '../domain.js';
import type { AnswerQueue } from '../jobs/jobs.js';
import type { WorkRunner } from '../jobs/work-runner.js';
import { limitRefusalText, OverLimit, type UsageLimits } from '../limits/limits.js';
import { MENTION_HELP_TEXT } from '../messages.js';
import { MAX_TASK_CHARS } from '../parse-command.js';
import type { TurnDeps } from './run-turn.js';
import { taskTitle } from './start-task.js';
import type { TaskAdmission } from './task-admission.js';

export interface MessageDeps extends TurnDeps {
  /** Stores a new task or reply together with its job. */
  admission: TaskAdmission;
  jobs: AnswerQueue;
  /** Tells the job worker that work was queued. */
  kick(): void;
  runner: WorkRunner;
  /** USER_TASKS_PER_HOUR and DAILY_TOKEN_BUDGET, checked before a task or reply is stored. */
  limits: UsageLimits;
  /** Threads opened in Slack's AI side panel / DM: a message in one starts a task there. */
  assistantThreads: Pick<AssistantThreadStore, 'isAssistantThread'>;
}

/** A human message the Slack layer has already validated and stripped of the bot's own mention. */
export interface IncomingMessage {
  teamId: string;
  channelId: string;
  userId: string;
  text: string;
  ts: string;
  threadTs: string | undefined;
  eventId: string;
  /** Slack ids of the files the message shares (read before the answer: src/core/files/). */
  files: { id: string; name?: string }[];
  /** The bot was addressed: an app_mention, or a direct message. */
  addressed: boolean;
  isDirectMessage: boolean;
}

/**
 * Routes a human message: a reply in a thread the bot owns is a follow-up turn (no mention needed);
 * a mention or a top-level DM starts a task answered in that message's thread; anything else is not
 * for the bot. Every path is idempotent on the delivery, so Slack's retries and the
 * app_mention/message twins produce one answer.
 */
export async function handleMessage(deps: MessageDeps, message: IncomingMessage): Promise<void> {
  const inThread = message.threadTs !== undefined && message.threadTs !== message.ts;
  const owned = inThread
    ? await deps.store.findTaskByThread(message.teamId, message.channelId, message.threadTs ?? '')
    : undefined;
  if (owned) return followUp(deps, owned, message);
  if (!message.addressed) return;
  // A thread in a DM that is not a task is not for us, unless it is a side-panel thread: a task there.
  const panelThread = message.isDirectMessage && inThread && (await isPanelThread(deps, message));
  if (message.isDirectMessage && inThread && !panelThread) return;
  if (message.text.trim() === '' && message.files.length === 0) {
    tellPrivately(deps, message, MENTION_HELP_TEXT, message.threadTs);
    return;
  }
  // The limits are checked where the task is stored. A message with files is checked before, too: its
  // files are recorded before its task (the job that answers must see them) and must not be left behind.
  if (message.files.length > 0 && (await refusedByLimits(deps, message, message.threadTs))) return;
  await recordFiles(deps, message, message.threadTs ?? message.ts);
  // A side-panel thread holds nothing but this conversation: no earlier thread to read for context.
  await startTask(deps, message, inThread && !panelThread);
}

async function isPanelThread(deps: MessageDeps, message: IncomingMessage): Promise<boolean> {
  return await deps.assistantThreads.isAssistantThread(
    message.teamId,
    message.channelId,
    message.threadTs ?? '',
  );
}

/**
 * A private note to the sender (help, a refusal), sent in the background: the event is acknowledged
 * when this returns, and a slow or rate-limited chat.postEphemeral (15 s timeouts, 429 waits) must not
 * hold the ack past Slack's 3 s, or Slack delivers the event again and again. Tracked, so shutdown and
 * tests wait for it; a failure is logged by the runner.
 */
function tellPrivately(
  deps: MessageDeps,
  message: IncomingMessage,
  text: string,
  threadTs: string | undefined,
): void {
  deps.runner.track(
    `notice:${message.eventId}`,
    deps.slack.postEphemeral(message.channelId, message.userId, text, threadTs),
  );
}

/**
 * A new task or a reply over a limit (checked in the transaction that stores it, so messages arriving
 * together from one person cannot pass together): the person is told privately, nothing was stored.
 */
function refusedWhileStoring(deps: MessageDeps, message: IncomingMessage, error: unknown): undefined {
  if (!(error instanceof OverLimit)) throw error;
  tellPrivately(deps, message, limitRefusalText(error.refusal), message.threadTs);
  return undefined;
}

/** Over a limit: the person is told privately (with when they may ask again) and nothing is stored. */
async function refusedByLimits(
  deps: MessageDeps,
  message: IncomingMessage,
  threadTs: string | undefined,
): Promise<boolean> {
  const refusal = await deps.limits.check(message.teamId, message.userId, {
    channelId: message.channelId,
    ts: message.ts,
  });
  if (!refusal) return false;
  tellPrivately(deps, message, limitRefusalText(refusal), threadTs);
  return true;
}

/**
 * Remembers the files a message shares, by thread, before its task or turn is stored (so the job that
 * answers it sees them). Idempotent: a retry or the app_mention/message twin records nothing twice.
 */
async function recordFiles(deps: MessageDeps, message: IncomingMessage, threadTs: string): Promise<void> {
  if (message.files.length === 0 || !deps.threadFiles) return;
  await deps.threadFiles.record(
    { teamId: message.teamId, channelId: message.channelId, threadTs },
    message.files.map((f) => ({ fileId: f.id, messageTs: message.ts, ...(f.name ? { name: f.name } : {}) })),
  );
}

/** What a message that only shares files says in the conversation (the files themselves are loaded). */
function messageContent(message: IncomingMessage): string {
  const text = slackTextToPlain(message.text).slice(0, MAX_TASK_CHARS);
  if (text.trim() !== '' || message.files.length === 0) return text;
  return message.files.length === 1 ? '(shared a file)' : `(shared ${message.files.length} files)`;
}

async function followUp(deps: MessageDeps, task: Task, message: IncomingMessage): Promise<void> {
  if (message.text.trim() === '' && message.files.length === 0) return;
  // As for a new task: counted where the reply is stored, and first too when it brings files.
  if (message.files.length > 0 && (await refusedByLimits(deps, message, task.threadTs ?? undefined))) return;
  if (task.threadTs) await recordFiles(deps, message, task.threadTs);
  // "retry" on a failed task re-runs it; the word itself is not part of the conversation.
  const isRetry = task.status === 'failed' && RETRY_WORDS.test(message.text.trim());
  const recorded = await deps.admission
    .recordFollowUp(
      message.teamId,
      task.id,
      { deliveryId: message.eventId, channelId: message.channelId, messageTs: message.ts },
      {
        content: isRetry ? '' : messageContent(message),
        userId: message.userId,
        slackTs: message.ts,
      },
    )
    .catch((error: unknown) => refusedWhileStoring(deps, message, error));
  if (recorded === undefined) return;
  // A new reply queued the task's job with it. A redelivery queues a job too: if an earlier run was cut
  // short it finishes the work, otherwise it finds nothing to answer.
  if (!recorded) await deps.jobs.enqueue(task.teamId, task.id);
  deps.kick();
}

const RETRY_WORDS = /^(retry|try again|again|please retry)[.!]*$/i;

async function startTask(
  deps: MessageDeps,
  message: IncomingMessage,
  inForeignThread: boolean,
): Promise<void> {
  const creating = deps.admission.createTask(
    {
      teamId: message.teamId,
      channelId: message.channelId,
      requesterId: message.userId,
      source: message.isDirectMessage ? 'dm' : 'mention',
      text: message.text,
      title: taskTitle(message.text.trim() === '' ? messageContent(message) : message.text),
      threadTs: message.threadTs ?? message.ts,
      firstTurn: { content: messageContent(message), slackTs: message.ts },
    },
    { deliveryId: message.eventId, channelId: message.channelId, messageTs: message.ts },
    inForeignThread ? { contextFromThreadOf: message.ts } : {},
  );
  const stored = await creating.catch((error: unknown) => refusedWhileStoring(deps, message, error));
  if (!stored) return;
  const { task, created } = stored;
  // The task and its job were stored together. A redelivery (or the app_mention/message twin) queues
  // another job only in case the first run was cut short; it finds nothing left to do otherwise.
  if (!created)
    await deps.jobs.enqueue(task.teamId, task.id, inForeignThread ? { contextFromThreadOf: message.ts } : {});
  deps.kick();
}
