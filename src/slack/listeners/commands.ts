import type { App } from '@slack/bolt';
import { z } from 'zod';
import { changeOwner, type OwnerCommandDeps, showOwners } from '../../core/collaboration/owner-commands.js';
import { listOpenRequests } from '../../core/collaboration/request-status.js';
import { type DigestCommandDeps, digestCommand } from '../../core/digest/digest-commands.js';
import { errorSummary } from '../../core/errors.js';
import { limitRefusalText, type UsageLimits } from '../../core/limits.js';
import { HELP_TEXT, receiptText } from '../../core/messages.js';
import { parseCommandText } from '../../core/parse-command.js';
import type { TurnDeps } from '../../core/run-turn.js';
import { submitCommandTask } from '../../core/start-task.js';
import type { WorkRunner } from '../../core/work-runner.js';

export interface CommandDeps extends TurnDeps, OwnerCommandDeps, DigestCommandDeps {
  /** Tells the job worker that work was queued. */
  kick(): void;
  runner: WorkRunner;
  /** USER_TASKS_PER_HOUR and DAILY_TOKEN_BUDGET, checked before a task is stored. */
  limits: UsageLimits;
}

/** The fields of Slack's slash-command payload we rely on; anything else Slack sends is ignored. */
const slashCommandPayload = z.object({
  team_id: z.string().min(1),
  channel_id: z.string().min(1),
  user_id: z.string().min(1),
  text: z.string().default(''),
  trigger_id: z.string().min(1),
  response_url: z.url(),
});

const UNREADABLE =
  "Sorry, I couldn't read that command. Please try again; `/data-engineer help` shows how to use me.";
const NOT_SAVED =
  "Sorry, I couldn't save your task just now, so I haven't started on it. Please try again in a moment.";

/**
 * `/data-engineer …`: validate, persist, acknowledge within Slack's 3 seconds, then work in the
 * background. Any command name routed here is handled, so a workspace may rename the command.
 */
export function registerCommands(app: App, deps: CommandDeps): void {
  app.command(/.*/, async ({ command, ack, respond }) => {
    const payload = slashCommandPayload.safeParse(command);
    if (!payload.success) {
      deps.logger.warn('malformed slash command payload', {
        issues: payload.error.issues.map((i) => i.path.join('.')),
      });
      await ack({ response_type: 'ephemeral', text: UNREADABLE });
      return;
    }
    const input = payload.data;
    const parsed = parseCommandText(input.text);
    const privately = async (text: string) => {
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    };
    const context = { teamId: input.team_id, channelId: input.channel_id, userId: input.user_id };
    switch (parsed.kind) {
      case 'help':
        return ack({ response_type: 'ephemeral', text: HELP_TEXT });
      case 'invalid':
        return ack({ response_type: 'ephemeral', text: parsed.message });
      case 'owners-show':
        return ack({ response_type: 'ephemeral', text: showOwners(deps, input.team_id, input.channel_id) });
      case 'owners-set':
      case 'owners-clear':
        // Checking permissions and the new owner takes Slack calls: acknowledge first, answer after.
        await ack();
        return afterAck(deps, 'owners', privately, () => changeOwner(deps, context, parsed));
      case 'digest-show':
      case 'digest-now':
      case 'digest-at':
      case 'digest-switch':
        await ack();
        return afterAck(deps, 'digest', privately, () => digestCommand(deps, context, parsed));
      case 'requests':
        return ack({
          response_type: 'ephemeral',
          text: listOpenRequests(deps, input.team_id, input.channel_id),
        });
    }
    // Before anything is stored: a refused task costs one indexed query and leaves no trace.
    const refusal = deps.limits.check(input.team_id, input.user_id);
    if (refusal) return ack({ response_type: 'ephemeral', text: limitRefusalText(refusal) });
    let submitted: Awaited<ReturnType<typeof submitCommandTask>>;
    try {
      submitted = await submitCommandTask(deps, {
        teamId: input.team_id,
        channelId: input.channel_id,
        userId: input.user_id,
        text: parsed.text,
        triggerId: input.trigger_id,
        responseUrl: input.response_url,
      });
    } catch (error) {
      deps.logger.error('could not persist a task', { teamId: input.team_id, error: errorSummary(error) });
      await ack({ response_type: 'ephemeral', text: NOT_SAVED });
      return;
    }
    await ack({ response_type: 'ephemeral', text: receiptText(input.channel_id) });
    // The task and its job are stored; the worker answers it (also after a restart).
    if (submitted.created) deps.kick();
  });
}

/** Work after the ack, tracked so a graceful stop waits for it; its answer goes to the user privately. */
async function afterAck(
  deps: CommandDeps,
  name: string,
  reply: (text: string) => Promise<void>,
  work: () => Promise<string>,
): Promise<void> {
  const done = work()
    .then(reply)
    .catch(async (error: unknown) => {
      deps.logger.error(`the ${name} command failed`, { error: errorSummary(error) });
      await reply(SOMETHING_WRONG).catch(() => undefined);
    });
  deps.runner.track(`command:${name}`, done);
  await done;
}

const SOMETHING_WRONG = 'Sorry, something went wrong on my side. Please try again in a moment.';
