import type { App } from '@slack/bolt';
import { z } from 'zod';
import { advanceRequest, type RequestClickDeps } from '../../core/collaboration/request-status.js';
import { errorSummary } from '../../core/errors.js';
import type { WorkRunner } from '../../core/jobs/work-runner.js';
import { limitRefusalText, OverLimit } from '../../core/limits/limits.js';
import { isTeamAdmin } from '../../core/permissions.js';
import type { TaskAdmission } from '../../core/tasks/task-admission.js';
import type { TaskStore } from '../../core/tasks/task-store.js';
import { ACKNOWLEDGE_ACTION, DONE_ACTION, REQUEST_GONE_TEXT } from '../../render/collaboration-messages.js';
import { FEEDBACK_ACTION } from '../../render/feedback-messages.js';
import { ADOPT_CHECKS_ACTION, CHECK_ALERT_ACTION } from '../../render/quality-check-messages.js';
import {
  RETRY_ACTION,
  RETRY_GONE_TEXT,
  retriedMessage,
  retryNotNeededText,
  STOP_ACTION,
  STOP_REFUSED_TEXT,
  STOP_TOO_LATE_TEXT,
} from '../../render/task-messages.js';

export type ActionDeps = RequestClickDeps & {
  store: TaskStore;
  /** Puts a failed task back in the queue (the Retry button). */
  admission: TaskAdmission;
  runner: WorkRunner;
  /** Tells the job worker that work was queued. */
  kick(): void;
  /** Users who count as admins besides workspace admins and owners (BOT_ADMINS). */
  botAdmins: readonly string[];
  /** Stops the task's running job (here, or in the process that runs it); false when none runs. */
  stopTask(teamId: string, taskId: number, userId: string): Promise<boolean>;
};

/**
 * Stop under an answer being written: the requester of the task or an admin ends the model call and
 * the whole answer (the thread then says who stopped it); anyone else is told so privately.
 */
export function registerStop(app: App, deps: ActionDeps): void {
  app.action(STOP_ACTION, async ({ ack, body, respond }) => {
    await ack();
    const tell = (text: string) =>
      respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
    const click = readClick(body);
    const task = click ? await deps.store.getTask(click.teamId, click.value) : undefined;
    if (!click || !task) {
      await tell(STOP_TOO_LATE_TEXT);
      return;
    }
    if (click.userId !== task.requesterId && !(await isTeamAdmin(deps, click.userId))) {
      await tell(STOP_REFUSED_TEXT);
      return;
    }
    // An answer already ended (its pings may still be going out): nothing to stop, and nothing is.
    const writing = task.status === 'queued' || task.status === 'running';
    const stopped = writing && (await deps.stopTask(click.teamId, task.id, click.userId));
    deps.logger.info('stop pressed', { teamId: click.teamId, taskId: task.id, by: click.userId, stopped });
    if (!stopped) await tell(STOP_TOO_LATE_TEXT);
  });
}

/** The fields of a block_actions payload the buttons rely on. */
const buttonClick = z.object({
  team: z
    .object({ id: z.string().min(1) })
    .nullable()
    .optional(),
  user: z.object({ id: z.string().min(1), team_id: z.string().optional() }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});

/** A click on a message button: who, where, and the button's value. */
function readClick(body: unknown): { teamId: string; userId: string; value: number } | undefined {
  const click = buttonClick.safeParse(body);
  if (!click.success) return undefined;
  const teamId = click.data.team?.id ?? click.data.user.team_id;
  const value = Number(click.data.actions[0]?.value);
  if (!teamId || !Number.isSafeInteger(value) || value <= 0) return undefined;
  return { teamId, userId: click.data.user.id, value };
}

const message = z.object({ container: z.object({ channel_id: z.string(), message_ts: z.string() }) });

/**
 * Retry on a failed answer: the task goes back in the queue once (a second click finds it no longer
 * failed), and the failure note loses its button.
 */
export function registerRetry(app: App, deps: ActionDeps): void {
  app.action(RETRY_ACTION, async ({ ack, body, respond }) => {
    await ack();
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    const click = readClick(body);
    const task = click ? await deps.store.getTask(click.teamId, click.value) : undefined;
    if (!click || !task) {
      await tell(RETRY_GONE_TEXT).catch(() => undefined);
      return;
    }
    // A retry is a new Claude call: the presser's hourly limit and the workspace's budget apply, counted
    // where the retry is stored (so clicks together cannot pass them together).
    let retried: boolean;
    try {
      retried = await deps.admission.retryFailed(click.teamId, task.id, click.userId);
    } catch (error) {
      if (!(error instanceof OverLimit)) throw error;
      await tell(limitRefusalText(error.refusal)).catch(() => undefined);
      return;
    }
    if (!retried) {
      await tell(retryNotNeededText(task.status === 'done')).catch(() => undefined);
      return;
    }
    deps.logger.info('task retried from its failure note', {
      teamId: click.teamId,
      taskId: task.id,
      by: click.userId,
    });
    deps.kick();
    const where = message.safeParse(body);
    if (where.success) {
      await deps.slack
        .updateBlocks(
          where.data.container.channel_id,
          where.data.container.message_ts,
          retriedMessage(click.userId),
        )
        .catch((error: unknown) =>
          deps.logger.warn('could not update the failure note', { error: errorSummary(error) }),
        );
    }
  });
}

/**
 * Acknowledge / Done on a collaboration ping. Slack needs the ack within 3 seconds; the record and
 * the message are updated after it, and anything the clicker should know comes back privately.
 */
export function registerActions(app: App, deps: ActionDeps): void {
  for (const [actionId, to] of [
    [ACKNOWLEDGE_ACTION, 'acknowledged'],
    [DONE_ACTION, 'done'],
  ] as const) {
    app.action(actionId, async ({ ack, body, respond }) => {
      await ack();
      const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
      const click = readClick(body);
      if (!click) {
        deps.logger.warn('unreadable collaboration button click', { actionId });
        await tell(REQUEST_GONE_TEXT).catch(() => undefined);
        return;
      }
      const { teamId, value: requestId } = click;
      const work = advanceRequest(deps, { teamId, requestId, userId: click.userId, to })
        .then(async ({ note }) => {
          if (note) await tell(note);
        })
        .catch((error: unknown) =>
          deps.logger.error('could not handle a collaboration button', {
            teamId,
            error: errorSummary(error),
          }),
        );
      deps.runner.track(`action:${requestId}`, work);
      await work;
    });
  }
}

/**
 * Buttons this version does not know (from an older or newer release): acknowledged at once, so Slack
 * gets its answer instead of waiting three seconds for one that never comes.
 */
export function registerUnknownActions(app: App, deps: { logger: ActionDeps['logger'] }): void {
  const known = [
    RETRY_ACTION,
    STOP_ACTION,
    ACKNOWLEDGE_ACTION,
    DONE_ACTION,
    FEEDBACK_ACTION,
    ADOPT_CHECKS_ACTION,
    `${CHECK_ALERT_ACTION}_(?:ack|snooze|fp)`,
  ].join('|');
  app.action(new RegExp(`^(?!(?:${known})$)`), async ({ ack, action }) => {
    await ack();
    deps.logger.info('ignored an unknown button', {
      actionId: 'action_id' in action ? action.action_id : undefined,
    });
  });
}
