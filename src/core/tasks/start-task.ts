import { neutraliseMentions, slackTextToPlain, truncateForSlack } from '../../render/index.js';
import { NO_USAGE, type Task } from '../domain.js';
import { errorSummary, mayHaveLanded, notInConversation, SlackError } from '../errors.js';
import { cannotPostText, notInConversationText, parentText } from '../messages.js';
import { MAX_TASK_CHARS } from '../parse-command.js';
import type { TurnDeps } from './run-turn.js';
import type { TaskAdmission } from './task-admission.js';

export interface CommandTaskInput {
  teamId: string;
  channelId: string;
  userId: string;
  text: string;
  triggerId: string;
  responseUrl: string;
}

/**
 * Persists a slash-command task, and the job that will answer it, before anything slow happens.
 * Idempotent on the command's trigger_id, so a repeated delivery never creates a second task.
 */
export function submitCommandTask(
  deps: { admission: TaskAdmission },
  input: CommandTaskInput,
): Promise<{ task: Task; created: boolean }> {
  return deps.admission.createTask(
    {
      teamId: input.teamId,
      channelId: input.channelId,
      requesterId: input.userId,
      source: 'command',
      text: input.text,
      title: taskTitle(input.text),
      firstTurn: { content: slackTextToPlain(input.text).slice(0, MAX_TASK_CHARS) },
    },
    { deliveryId: `command:${input.triggerId}` },
    { responseUrl: input.responseUrl },
  );
}

/**
 * Posts the visible parent message ("@ana asked: …") of a command task and stores it as the task's
 * thread. If Slack refuses, the task fails and the requester is told privately (through the command's
 * response_url, which works even where the bot is not a member). Returns the thread, or undefined.
 */
export async function postCommandParent(
  deps: TurnDeps,
  task: Task,
  responseUrl: string | undefined,
  resumed: boolean,
): Promise<string | undefined> {
  const log = deps.logger.child({ teamId: task.teamId, taskId: task.id });
  const key = `task-${task.id}`;
  try {
    // A run cut short may have posted the parent without storing it: find it rather than post again.
    const earlier = resumed ? await deps.slack.findPosted(task.channelId, key) : undefined;
    const threadTs =
      earlier ??
      (await deps.slack.postText(
        task.channelId,
        parentText(task.requesterId, quoteTask(task.text)),
        undefined,
        key,
      ));
    await deps.store.setThread(task.teamId, task.id, threadTs);
    return threadTs;
  } catch (error) {
    // The parent may be in the channel: fail the job, not the task; its retry finds it by key.
    if (mayHaveLanded(error)) throw error;
    const code = error instanceof SlackError ? error.code : 'internal_error';
    log.warn('cannot post the task in its channel', { code, error: errorSummary(error) });
    await deps.store.failTask(task.teamId, task.id, `slack_${code}`, NO_USAGE, 0);
    const notIn = notInConversation(error);
    const text = notIn ? notInConversationText(notIn, task.channelId) : cannotPostText(code);
    if (responseUrl) {
      await deps.slack
        .respondPrivately(responseUrl, text)
        .catch((notifyError: unknown) =>
          log.warn('could not tell the user', { error: errorSummary(notifyError) }),
        );
    }
    return undefined;
  }
}

/** A short title for lists and digests: the first line of the task, plain text. */
export function taskTitle(text: string): string {
  const firstLine =
    slackTextToPlain(text)
      .split('\n')
      .find((line) => line.trim() !== '') ?? 'Untitled task';
  return truncateForSlack(firstLine.trim(), 80);
}

/** The task as a mrkdwn quote, with any mentions or broadcasts the user typed made harmless. */
function quoteTask(text: string): string {
  return truncateForSlack(neutraliseMentions(text), 2_800)
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}
