import { slackTextToPlain } from '../render/index.js';
import { FILES_NOT_READ_TEXT, MENTION_HELP_TEXT, THREAD_NOT_READ_TEXT } from './messages.js';
import type { Task } from './model.js';
import { MAX_TASK_CHARS } from './parse-command.js';
import { runAgentTurn, type TurnDeps } from './run-turn.js';
import { taskTitle } from './start-task.js';
import type { ThreadTurns } from './thread-turns.js';
import { describe, type WorkRunner } from './work-runner.js';

export interface MessageDeps extends TurnDeps {
  threads: ThreadTurns;
  runner: WorkRunner;
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
  /** The message carries files (their content is not read). */
  hasFiles: boolean;
  /** The bot was addressed: an app_mention, or a direct message. */
  addressed: boolean;
  isDirectMessage: boolean;
}

/** How much of a foreign thread is passed to the model as context. */
const MAX_CONTEXT_MESSAGES = 50;
const MAX_CONTEXT_CHARS = 20_000;

/**
 * Routes a human message: a reply in a thread the bot owns is a follow-up turn (no mention needed);
 * a mention or a top-level DM starts a task answered in that message's thread; anything else is not
 * for the bot. Every path is idempotent on the delivery, so Slack's retries and the
 * app_mention/message twins produce one answer.
 */
export async function handleMessage(deps: MessageDeps, message: IncomingMessage): Promise<void> {
  const inThread = message.threadTs !== undefined && message.threadTs !== message.ts;
  const owned = inThread
    ? deps.store.findTaskByThread(message.teamId, message.channelId, message.threadTs ?? '')
    : undefined;
  if (owned) return followUp(deps, owned, message);
  if (!message.addressed) return;
  if (message.isDirectMessage && inThread) return; // a thread in a DM that is not a task: not for us
  if (message.text.trim() === '') {
    await deps.slack.postEphemeral(message.channelId, message.userId, MENTION_HELP_TEXT, message.threadTs);
    return;
  }
  await startTask(deps, message, inThread);
}

async function followUp(deps: MessageDeps, task: Task, message: IncomingMessage): Promise<void> {
  if (message.text.trim() === '') {
    if (message.hasFiles) {
      await deps.slack.postEphemeral(
        message.channelId,
        message.userId,
        FILES_NOT_READ_TEXT,
        task.threadTs ?? undefined,
      );
    }
    return;
  }
  // "retry" on a failed task re-runs it; the word itself is not part of the conversation.
  const isRetry = task.status === 'failed' && RETRY_WORDS.test(message.text.trim());
  const recorded = deps.store.recordFollowUp(
    message.teamId,
    task.id,
    { deliveryId: message.eventId, channelId: message.channelId, messageTs: message.ts },
    {
      content: isRetry ? '' : slackTextToPlain(message.text).slice(0, MAX_TASK_CHARS),
      userId: message.userId,
      slackTs: message.ts,
    },
  );
  // A redelivery after a restart may find its turn stored but unanswered: answering is a no-op otherwise.
  if (recorded || !deps.threads.isBusy(task.id)) {
    deps.threads.request(task.id, () => answerInThread(deps, task.id, task.teamId));
  }
}

const RETRY_WORDS = /^(retry|try again|again|please retry)[.!]*$/i;

async function startTask(
  deps: MessageDeps,
  message: IncomingMessage,
  inForeignThread: boolean,
): Promise<void> {
  const threadTs = message.threadTs ?? message.ts;
  const { task, created } = await deps.store.createTask(
    {
      teamId: message.teamId,
      channelId: message.channelId,
      requesterId: message.userId,
      source: message.isDirectMessage ? 'dm' : 'mention',
      text: message.text,
      title: taskTitle(message.text),
      threadTs,
    },
    { deliveryId: message.eventId, channelId: message.channelId, messageTs: message.ts },
  );
  // A redelivery (or the app_mention/message twin) only resumes work cut short by a restart; while the
  // thread is busy its own turn is already on the way.
  if (!created && deps.threads.isBusy(task.id)) return;
  // The first turn is written inside the thread's turn, so a twin arriving while the foreign thread is
  // read finds the thread busy; and it is written only once, whoever gets there first.
  deps.threads.request(task.id, async () => {
    if (deps.store.listTurns(task.teamId, task.id).length === 0) {
      let content = slackTextToPlain(task.text).slice(0, MAX_TASK_CHARS);
      if (inForeignThread) content = await withThreadContext(deps, message, content);
      deps.store.addTurn(task.teamId, task.id, {
        role: 'user',
        content,
        userId: task.requesterId,
        slackTs: message.ts,
      });
    }
    await answerInThread(deps, task.id, task.teamId);
  });
}

/** Reads the thread the bot was mentioned in, once, and puts it before the request. */
async function withThreadContext(
  deps: MessageDeps,
  message: IncomingMessage,
  request: string,
): Promise<string> {
  try {
    const history = await deps.slack.readThread(message.channelId, message.threadTs ?? message.ts);
    const lines = history
      .filter((m) => m.ts !== message.ts && m.text.trim() !== '' && !m.isBot)
      .slice(-MAX_CONTEXT_MESSAGES)
      .map((m) => `- ${m.userId ? `@${m.userId}` : 'someone'}: ${slackTextToPlain(m.text)}`);
    if (lines.length === 0) return request;
    const context = lines.join('\n').slice(-MAX_CONTEXT_CHARS);
    return `Earlier messages in this Slack thread, for context:\n${context}\n\nMy request: ${request}`;
  } catch (error) {
    deps.logger.warn('could not read the thread for context', {
      teamId: message.teamId,
      error: describe(error),
    });
    await deps.slack.postEphemeral(message.channelId, message.userId, THREAD_NOT_READ_TEXT, message.threadTs);
    return request;
  }
}

/**
 * Answers the stored conversation if its last word is a human's. Every scheduling path ends here, so a
 * turn requested twice (a redelivery racing the original) answers once and the second is a no-op.
 */
async function answerInThread(deps: TurnDeps, taskId: number, teamId: string): Promise<void> {
  const task = deps.store.getTask(teamId, taskId);
  if (!task?.threadTs) return;
  if (deps.store.listTurns(teamId, taskId).at(-1)?.role !== 'user') return;
  await runAgentTurn(deps, { ...task, threadTs: task.threadTs });
}
