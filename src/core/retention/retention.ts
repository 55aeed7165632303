import { slackTextToPlain } from '../../render/index.js';
import { errorSummary } from '../errors.js';
import type { Logger } from '../logger.js';
import { MAX_TASK_CHARS } from '../parse-command.js';
import { taskTitle } from '../tasks/start-task.js';
import type { TaskStore } from '../tasks/task-store.js';
import { contextLine, REQUEST_MARKER } from '../tasks/thread-context.js';
import type { RetentionStore } from './retention-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a deleted request becomes: the conversation keeps its first turn, without the words. */
export const DELETED_TEXT = '(This message was deleted in Slack.)';

export interface RetentionDeps {
  retention: RetentionStore;
  store: TaskStore;
  logger: Logger;
}

/**
 * Deletes, once at start-up and then daily, what is older than RETENTION_DAYS: conversations with no
 * activity since (task, turns, collaboration requests), and Slack delivery records. A conversation
 * still in use keeps its earlier turns, which its answers depend on.
 */
export class RetentionSchedule {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: Pick<RetentionDeps, 'retention' | 'logger'>,
    private readonly days: number,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    await this.pruneNow();
    this.timer = setInterval(() => void this.pruneNow(), DAY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async pruneNow(): Promise<void> {
    const cutoff = this.now() - this.days * DAY_MS;
    // The hourly limit reads the last hour of admissions; a day keeps a margin and no more.
    const admissionsCutoff = this.now() - DAY_MS;
    try {
      for (const teamId of await this.deps.retention.teams()) {
        const pruned = await this.deps.retention.prune(teamId, cutoff, admissionsCutoff);
        if (pruned.tasks + pruned.events > 0)
          this.deps.logger.info('pruned stored data older than RETENTION_DAYS', { teamId, ...pruned });
      }
    } catch (error) {
      this.deps.logger.error('could not prune old data; will try again tomorrow', {
        error: errorSummary(error),
      });
    }
  }
}

/** A message deleted in Slack (`message_deleted`), with what Slack sent of it. */
export interface DeletedMessage {
  teamId: string;
  channelId: string;
  ts: string;
  previous?: { userId?: string; text: string; threadTs?: string };
}

/** A message edited in Slack (`message_changed`): its new text, raw and with the bot's mention removed. */
export interface EditedMessage {
  teamId: string;
  channelId: string;
  ts: string;
  threadTs?: string;
  userId?: string;
  text: string;
  request: string;
  previousText?: string;
}

/**
 * The stored copy follows Slack: a deleted reply's turn is deleted (a deleted request keeps its place
 * as a placeholder), and a foreign thread's message quoted as context is removed from it. Returns
 * whether anything stored changed.
 */
export async function forgetDeletedMessage(deps: RetentionDeps, message: DeletedMessage): Promise<boolean> {
  const stored = await deps.retention.findMessage(message.teamId, message.channelId, message.ts);
  if (stored?.first) {
    await deps.retention.setTurnContent(
      message.teamId,
      stored.turnId,
      withRequest(stored.content, DELETED_TEXT),
    );
    await deps.retention.setTaskText(message.teamId, stored.taskId, DELETED_TEXT, DELETED_TEXT);
    return true;
  }
  if (stored) {
    await deps.retention.deleteTurn(message.teamId, stored.turnId);
    return true;
  }
  const previous = message.previous;
  if (!previous?.threadTs) return false;
  return await rewriteContext(
    deps,
    message,
    previous.threadTs,
    contextLine(previous.userId, previous.text),
    '',
  );
}

/** An edit replaces the stored text (the request's, a reply's, or a line of quoted thread context). */
export async function applyEditedMessage(deps: RetentionDeps, message: EditedMessage): Promise<boolean> {
  const stored = await deps.retention.findMessage(message.teamId, message.channelId, message.ts);
  if (stored) {
    const content = slackTextToPlain(message.request).slice(0, MAX_TASK_CHARS);
    // '' marks a "retry" reply, which is not part of the conversation.
    const current = stored.first ? requestOf(stored.content) : stored.content;
    if (current === '' || current === content) return false;
    await deps.retention.setTurnContent(
      message.teamId,
      stored.turnId,
      stored.first ? withRequest(stored.content, content) : content,
    );
    if (stored.first)
      await deps.retention.setTaskText(
        message.teamId,
        stored.taskId,
        message.request,
        taskTitle(message.request),
      );
    return true;
  }
  if (!message.threadTs || message.previousText === undefined) return false;
  const before = contextLine(message.userId, message.previousText);
  const after = contextLine(message.userId, message.text);
  if (before === after) return false;
  return await rewriteContext(deps, message, message.threadTs, before, `\n${after}`);
}

/** Replaces one quoted line in the context of the task that owns `threadTs`. */
async function rewriteContext(
  deps: RetentionDeps,
  message: { teamId: string; channelId: string },
  threadTs: string,
  line: string,
  replacement: string,
): Promise<boolean> {
  const task = await deps.store.findTaskByThread(message.teamId, message.channelId, threadTs);
  const first = task ? await deps.store.firstTurn(message.teamId, task.id) : undefined;
  if (!first) return false;
  const marker = first.content.indexOf(REQUEST_MARKER);
  if (marker < 0) return false;
  const context = first.content.slice(0, marker);
  const at = context.indexOf(`\n${line}`);
  // The line must end where a line ends (not be the start of a longer one).
  if (at < 0 || !['\n', undefined].includes(context[at + line.length + 1])) return false;
  const rewritten = context.slice(0, at) + replacement + context.slice(at + line.length + 1);
  await deps.store.setTurnContent(message.teamId, first.id, rewritten + first.content.slice(marker));
  return true;
}

function requestOf(content: string): string {
  const marker = content.indexOf(REQUEST_MARKER);
  return marker < 0 ? content : content.slice(marker + REQUEST_MARKER.length);
}

function withRequest(content: string, request: string): string {
  const marker = content.indexOf(REQUEST_MARKER);
  return marker < 0 ? request : content.slice(0, marker + REQUEST_MARKER.length) + request;
}
