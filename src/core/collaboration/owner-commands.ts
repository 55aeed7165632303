import { mentionOf, ROLE_LABELS } from '../../render/collaboration-messages.js';
import { ownerClearedText, ownerScopeText, ownerSetText, ownersText } from '../../render/owner-messages.js';
import type { CollaborationRole, OwnerRef } from '../domain.js';
import { errorSummary } from '../errors.js';
import { type PermissionDeps, refuseUnlessAdmin, slackSaid } from '../permissions.js';
import { defineSubCommand, type InvalidCommand, inAck, usageText } from '../sub-command.js';
import { parseOwnerMention, parseRole } from './owner-mention.js';
import { assignWaitingRequests, type CollaborationDeps, type QueueDeps } from './requests.js';

export type OwnerCommandDeps = CollaborationDeps & PermissionDeps & QueueDeps;

/** Owner changes apply to the whole workspace unless `--channel` is given. */
export type OwnerScope = 'workspace' | 'channel';

export type OwnersArgs =
  | { kind: 'owners-show' }
  | { kind: 'owners-set'; role: CollaborationRole; owner: OwnerRef; scope: OwnerScope }
  | { kind: 'owners-clear'; role: CollaborationRole; scope: OwnerScope };

/** `/data-engineer owners …`: showing answers at once; changes check Slack first, so after the ack. */
export const ownersSubCommand = defineSubCommand<OwnersArgs, OwnerCommandDeps>({
  name: 'owners',
  usage: [
    '`/data-engineer owners` shows who owns backend, devops, security and QA requests here',
    '`/data-engineer owners set <role> @person-or-group [--channel]` sets an owner (for the workspace, or with `--channel` for this channel only)',
    '`/data-engineer owners clear <role> [--channel]` removes one',
  ],
  usageNote: 'Roles: `backend`, `devops`, `security`, `qa`.',
  parse: (args) =>
    args.length === 0 || OWNER_VERBS.has(args[0]?.toLowerCase() ?? '') ? parseOwnersArgs(args) : undefined,
  run: (deps, context, args) =>
    args.kind === 'owners-show'
      ? inAck(showOwners(deps, context.teamId, context.channelId))
      : changeOwner(deps, context, args),
});

const OWNER_VERBS = new Set(['show', 'list', 'set', 'clear']);

/** `owners`, `owners set <role> <@user|@group> [--channel]`, `owners clear <role> [--channel]`. */
function parseOwnersArgs(args: string[]): OwnersArgs | InvalidCommand {
  const verb = args[0]?.toLowerCase();
  const invalid = (message: string): InvalidCommand => ({ kind: 'invalid', message });
  if (verb === undefined || verb === 'show' || verb === 'list') {
    return args.length <= 1 ? { kind: 'owners-show' } : invalid(usageText(ownersSubCommand));
  }
  const flags = args.filter((a) => a.startsWith('--'));
  const unknownFlag = flags.find((f) => f.toLowerCase() !== '--channel');
  if (unknownFlag) {
    return invalid(`I don't know the option \`${unknownFlag.slice(0, 30)}\`. ${usageText(ownersSubCommand)}`);
  }
  const scope: OwnerScope = flags.length > 0 ? 'channel' : 'workspace';
  const [roleWord, ...rest] = args.slice(1).filter((a) => !a.startsWith('--'));
  const role = parseRole(roleWord);
  if (!role.ok) return invalid(role.message);
  if (verb === 'clear') {
    return rest.length === 0
      ? { kind: 'owners-clear', role: role.value, scope }
      : invalid(`\`owners clear\` takes only a role, e.g. \`/data-engineer owners clear ${role.value}\`.`);
  }
  if (rest.length > 1) {
    return invalid(
      `One owner per role: a person or a user group. To reach several people, create a Slack user group and set it, e.g. \`/data-engineer owners set ${role.value} @${role.value}-team\`.`,
    );
  }
  const owner = parseOwnerMention(rest[0] ?? '', role.value);
  if (!owner.ok) return invalid(owner.message);
  return { kind: 'owners-set', role: role.value, owner: owner.value, scope };
}

export interface OwnerCommandContext {
  teamId: string;
  channelId: string;
  userId: string;
}

/** `/data-engineer owners`: the effective owner of each role here, and where it comes from. */
export async function showOwners(
  deps: CollaborationDeps,
  teamId: string,
  channelId: string,
): Promise<string> {
  return ownersText(await deps.collaboration.effectiveOwners(teamId, channelId));
}

/**
 * `owners set` / `owners clear`. Only workspace admins and owners, and the BOT_ADMINS, may change
 * owners; every change is logged with who made it. Setting an owner pings the requests that were
 * waiting for that role.
 */
export async function changeOwner(
  deps: OwnerCommandDeps,
  context: OwnerCommandContext,
  change: Exclude<OwnersArgs, { kind: 'owners-show' }>,
): Promise<string> {
  const refusal = await refuseUnlessAdmin(deps, context.userId, 'change owners');
  if (refusal) return refusal;
  const channelId = change.scope === 'channel' ? context.channelId : undefined;
  const where = ownerScopeText(channelId);
  const role = ROLE_LABELS[change.role];
  const fields = {
    teamId: context.teamId,
    role: change.role,
    scope: change.scope,
    channelId,
    by: context.userId,
  };
  if (change.kind === 'owners-clear') {
    const cleared = await deps.collaboration.clearOwner(context.teamId, channelId, change.role);
    if (cleared) deps.logger.info('owner cleared', fields);
    return ownerClearedText(role, where, cleared);
  }
  const problem = await checkOwner(deps, change.owner);
  if (problem) return problem;
  await deps.collaboration.setOwner(context.teamId, channelId, change.role, change.owner, context.userId);
  deps.logger.info('owner set', { ...fields, owner: mentionOf(change.owner) });
  const waiting = await assignWaitingRequests(deps, context.teamId, change.role);
  return ownerSetText(change.owner, role, where, waiting);
}

async function checkOwner(deps: OwnerCommandDeps, owner: OwnerRef): Promise<string | undefined> {
  if (owner.kind === 'group') return undefined;
  try {
    const user = await deps.slack.getUser(owner.id);
    if (!user)
      return "I couldn't find that person in this workspace. Pick them from the @ suggestions as you type.";
    if (user.isBot) return `<@${owner.id}> is a bot or an app. An owner must be a person or a user group.`;
    if (user.deleted) return `<@${owner.id}>'s account is deactivated. Choose someone who is still here.`;
    return undefined;
  } catch (error) {
    deps.logger.warn('could not look up an owner', { error: errorSummary(error) });
    return `I couldn't look up that person with Slack just now${slackSaid(error)}. Please try again in a moment.`;
  }
}
