import { z } from 'zod';

/**
 * The fields of a `block_actions` click on a bot message that the button listeners rely on: which
 * workspace, who, in which conversation and message, the trigger for a form, and the button's value
 * (parsed by the caller's own reader). One schema, so every button validates its payload the same way.
 */
const buttonClick = z.object({
  team: z.object({ id: z.string().min(1) }).nullish(),
  user: z.object({ id: z.string().min(1), team_id: z.string().optional() }),
  container: z.object({ channel_id: z.string().min(1), message_ts: z.string().min(1).max(30).optional() }),
  trigger_id: z.string().min(1),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(100) })).min(1),
});

export interface ButtonClick<Value> {
  teamId: string;
  channelId: string;
  userId: string;
  triggerId: string;
  /** The message the button is on (absent for a click from a view). */
  messageTs: string | undefined;
  value: Value;
}

/** A click whose first action's id passes `actionId` and whose value `parseValue` reads; else undefined. */
export function readButtonClick<Value>(
  body: unknown,
  actionId: (id: string) => boolean,
  parseValue: (value: string) => Value | undefined,
): ButtonClick<Value> | undefined {
  const click = buttonClick.safeParse(body);
  if (!click.success) return undefined;
  const action = click.data.actions[0];
  const teamId = click.data.team?.id ?? click.data.user.team_id;
  const value = action && actionId(action.action_id) ? parseValue(action.value) : undefined;
  if (!teamId || value === undefined) return undefined;
  return {
    teamId,
    channelId: click.data.container.channel_id,
    userId: click.data.user.id,
    triggerId: click.data.trigger_id,
    messageTs: click.data.container.message_ts,
    value,
  };
}
