import type { App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import type { SubCommandDeps } from '../../core/command-registry.js';
import { errorSummary } from '../../core/errors.js';
import type { WorkRunner } from '../../core/jobs/work-runner.js';
import { limitRefusalText, OverLimit } from '../../core/limits/limits.js';
import {
  COMMAND_UNREADABLE_TEXT,
  receiptText,
  SOMETHING_WRONG_TEXT,
  TASK_NOT_SAVED_TEXT,
} from '../../core/messages.js';
import { type CommandRoute, HELP_TEXT, routeCommand } from '../../core/parse-command.js';
import type { InAck } from '../../core/sub-command.js';
import type { TurnDeps } from '../../core/tasks/run-turn.js';
import { submitCommandTask } from '../../core/tasks/start-task.js';
import type { TaskAdmission } from '../../core/tasks/task-admission.js';

export type CommandDeps = TurnDeps &
  SubCommandDeps & {
    /** Stores a new task together with its job, checking the limits as it does (OverLimit). */
    admission: TaskAdmission;
    /** Tells the job worker that work was queued. */
    kick(): void;
    runner: WorkRunner;
  };

/** The fields of Slack's slash-command payload we rely on; anything else Slack sends is ignored. */
const slashCommandPayload = z.object({
  team_id: z.string().min(1),
  channel_id: z.string().min(1),
  user_id: z.string().min(1),
  text: z.string().default(''),
  trigger_id: z.string().min(1),
  response_url: z.url(),
});

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
      await ack({ response_type: 'ephemeral', text: COMMAND_UNREADABLE_TEXT });
      return;
    }
    const input = payload.data;
    const route = routeCommand(input.text);
    if (route.kind === 'help') return ack({ response_type: 'ephemeral', text: HELP_TEXT });
    if (route.kind === 'invalid') return ack({ response_type: 'ephemeral', text: route.message });
    if (route.kind === 'sub-command') {
      const privately = async (text: string) => {
        await respond({ response_type: 'ephemeral', replace_original: false, text });
      };
      return runSubCommand(deps, input, route, ack, privately);
    }
    return submitTask(deps, input, route.text, ack);
  });
}

type CommandInput = z.infer<typeof slashCommandPayload>;
type Ack = SlackCommandMiddlewareArgs['ack'];

/** A sub-command from the registry: answered in the ack when it is quick, privately after it if not. */
async function runSubCommand(
  deps: CommandDeps,
  input: CommandInput,
  { command, args }: Extract<CommandRoute, { kind: 'sub-command' }>,
  ack: Ack,
  privately: (text: string) => Promise<void>,
): Promise<void> {
  const context = { teamId: input.team_id, channelId: input.channel_id, userId: input.user_id };
  let answer: string | Promise<string> | InAck;
  try {
    answer = command.run(deps, context, args);
    // A read of the store: awaited, and still sent with the acknowledgement.
    if (typeof answer === 'object' && 'inAck' in answer) answer = await answer.inAck;
  } catch (error) {
    deps.logger.error(`the ${command.name} command failed`, { error: errorSummary(error) });
    return ack({ response_type: 'ephemeral', text: SOMETHING_WRONG_TEXT });
  }
  if (typeof answer === 'string') return ack({ response_type: 'ephemeral', text: answer });
  // Slack calls or slow reads: acknowledge first, answer privately after. The work has started;
  // a failure while the ack is sent is handled below, not reported as unhandled.
  answer.catch(() => undefined);
  await ack();
  return afterAck(deps, command.name, privately, () => answer);
}

/**
 * A task: stored with its job, and acknowledged with a receipt. The limits are checked in the
 * transaction that stores it (one read of them on the ack path, and a burst from one person cannot pass
 * together); a task over a limit is refused in the ack and leaves no trace.
 */
async function submitTask(deps: CommandDeps, input: CommandInput, text: string, ack: Ack): Promise<void> {
  let submitted: Awaited<ReturnType<typeof submitCommandTask>>;
  try {
    submitted = await submitCommandTask(deps, {
      teamId: input.team_id,
      channelId: input.channel_id,
      userId: input.user_id,
      text,
      triggerId: input.trigger_id,
      responseUrl: input.response_url,
    });
  } catch (error) {
    if (error instanceof OverLimit) {
      return ack({ response_type: 'ephemeral', text: limitRefusalText(error.refusal) });
    }
    deps.logger.error('could not persist a task', { teamId: input.team_id, error: errorSummary(error) });
    await ack({ response_type: 'ephemeral', text: TASK_NOT_SAVED_TEXT });
    return;
  }
  await ack({ response_type: 'ephemeral', text: receiptText(input.channel_id) });
  // The task and its job are stored; the worker answers it (also after a restart).
  if (submitted.created) deps.kick();
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
      await reply(SOMETHING_WRONG_TEXT).catch(() => undefined);
    });
  deps.runner.track(`command:${name}`, done);
  await done;
}
