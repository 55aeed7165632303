import type { App } from '@slack/bolt';
import { z } from 'zod';
import { advanceRequest, REQUEST_GONE_TEXT } from '../../core/collaboration/request-status.js';
import type { CollaborationDeps } from '../../core/collaboration/requests.js';
import { describe, type WorkRunner } from '../../core/work-runner.js';
import { ACKNOWLEDGE_ACTION, DONE_ACTION } from '../../render/collaboration-messages.js';

export interface ActionDeps extends CollaborationDeps {
  runner: WorkRunner;
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
      const click = buttonClick.safeParse(body);
      const teamId = click.success ? (click.data.team?.id ?? click.data.user.team_id) : undefined;
      const requestId = Number(click.data?.actions[0]?.value);
      if (!click.success || !teamId || !Number.isSafeInteger(requestId) || requestId <= 0) {
        deps.logger.warn('unreadable collaboration button click', { actionId });
        await tell(REQUEST_GONE_TEXT).catch(() => undefined);
        return;
      }
      const work = advanceRequest(deps, { teamId, requestId, userId: click.data.user.id, to })
        .then(async ({ note }) => {
          if (note) await tell(note);
        })
        .catch((error: unknown) =>
          deps.logger.error('could not handle a collaboration button', { teamId, error: describe(error) }),
        );
      deps.runner.track(`action:${requestId}`, work);
      await work;
    });
  }
}
