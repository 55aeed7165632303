import { inert } from '../../render/collaboration-messages.js';
import { neutraliseMentions, slackTextToPlain } from '../../render/sanitise.js';
import { slackDate } from '../../render/time-text.js';
import type { Logger } from '../logger.js';
import { type PermissionDeps, refuseUnlessAdmin } from '../permissions.js';
import { defineSubCommand, inAck } from '../sub-command.js';
import { MAX_TEAM_CONTEXT_CHARS, type TeamContextStore } from './team-context.js';

export type ContextCommandDeps = PermissionDeps & { teamContexts: TeamContextStore; logger: Logger };

export type ContextArgs =
  | { kind: 'context-show' }
  | { kind: 'context-set'; text: string }
  | { kind: 'context-clear' };

/**
 * `/data-engineer context …`: a channel's standing facts for the agent (stack, freshness, where PII
 * lives), shown to anyone, set and cleared by admins. Stored as plain text with mentions made inert, so
 * neither the agent's input nor the text shown back can notify anyone.
 */
export const contextSubCommand = defineSubCommand<ContextArgs, ContextCommandDeps>({
  name: 'context',
  usage: [
    '`/data-engineer context` shows the facts every task in this channel is given (stack, freshness, where PII lives)',
    `\`/data-engineer context set <text>\` stores them, at most ${MAX_TEAM_CONTEXT_CHARS.toLocaleString('en-US')} characters (admins)`,
    '`/data-engineer context clear` removes them (admins)',
  ],
  parse: (args) => {
    const verb = args[0]?.toLowerCase();
    if (verb === undefined || (verb === 'show' && args.length === 1)) return { kind: 'context-show' };
    if (verb === 'clear' && args.length === 1) return { kind: 'context-clear' };
    if (verb !== 'set') return undefined; // "context for the orders mart" is a task
    const text = neutraliseMentions(slackTextToPlain(args.slice(1).join(' '))).trim();
    if (!text)
      return {
        kind: 'invalid',
        message:
          'Say what every task here should know, e.g. `/data-engineer context set Snowflake + dbt + Airflow; daily freshness; PII stays in the secure schema`.',
      };
    if (text.length > MAX_TEAM_CONTEXT_CHARS)
      return {
        kind: 'invalid',
        message: `That context is ${text.length.toLocaleString('en-US')} characters; the most is ${MAX_TEAM_CONTEXT_CHARS.toLocaleString('en-US')}. Keep it to the facts every task needs.`,
      };
    return { kind: 'context-set', text };
  },
  run: (deps, context, args) =>
    args.kind === 'context-show'
      ? inAck(showContext(deps, context.teamId, context.channelId))
      : change(deps, context, args),
});

async function showContext(deps: ContextCommandDeps, teamId: string, channelId: string): Promise<string> {
  const stored = await deps.teamContexts.contextOf(teamId, channelId);
  if (!stored)
    return 'This channel has no context. An admin can store the facts every task here should know with `/data-engineer context set <text>`.';
  return [
    `*Context for every task in this channel* (set by <@${stored.setBy}> ${slackDate(stored.setAt)}):`,
    `> ${inert(stored.text, MAX_TEAM_CONTEXT_CHARS + 100)}`,
  ].join('\n');
}

async function change(
  deps: ContextCommandDeps,
  context: { teamId: string; channelId: string; userId: string },
  args: Exclude<ContextArgs, { kind: 'context-show' }>,
): Promise<string> {
  const refusal = await refuseUnlessAdmin(deps, context.userId, "change this channel's context");
  if (refusal) return refusal;
  const { teamId, channelId, userId } = context;
  if (args.kind === 'context-clear') {
    const cleared = await deps.teamContexts.clearContext(teamId, channelId);
    if (cleared) deps.logger.info('channel context cleared', { teamId, channelId, by: userId });
    return cleared ? 'This channel’s context is removed.' : 'This channel had no context.';
  }
  await deps.teamContexts.setContext(teamId, channelId, args.text, userId);
  deps.logger.info('channel context set', { teamId, channelId, by: userId, chars: args.text.length });
  return `Stored. Every task in this channel now starts with this context (${args.text.length.toLocaleString('en-US')} characters).`;
}
