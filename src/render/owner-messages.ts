import {
  COLLABORATION_ROLES,
  type CollaborationRole,
  type OwnerAssignment,
  type OwnerRef,
} from '../core/domain.js';
import { mentionOf, ROLE_LABELS, ROLE_SUBJECTS } from './collaboration-messages.js';

/** The replies of `/data-engineer owners …`. */

/** `/data-engineer owners`: the effective owner of each role here, and where it comes from. */
export function ownersText(owners: Map<CollaborationRole, OwnerAssignment>): string {
  const lines = COLLABORATION_ROLES.map((role) => {
    const owner = owners.get(role);
    const label = `*${ROLE_LABELS[role]}* (${ROLE_SUBJECTS[role]})`;
    if (!owner) return `• ${label}: _not set_ — \`/data-engineer owners set ${role} @someone\``;
    const from = owner.scope === 'channel' ? 'set for this channel' : 'workspace default';
    return `• ${label}: ${mentionOf(owner)} (${from}, by <@${owner.setBy}>)`;
  });
  return [
    '*Who I ping for each kind of request in this channel:*',
    ...lines,
    '_Workspace admins can change them with `/data-engineer owners set <role> @person-or-group [--channel]`._',
  ].join('\n');
}

/** Where an owner change applies, as the reply says it. */
export function ownerScopeText(channelId: string | undefined): string {
  return channelId ? `in <#${channelId}>` : 'for this workspace';
}

export function ownerClearedText(roleLabel: string, where: string, cleared: boolean): string {
  return cleared
    ? `Removed the ${roleLabel} owner ${where}.`
    : `There was no ${roleLabel} owner set ${where}, so nothing changed.`;
}

export function ownerSetText(owner: OwnerRef, roleLabel: string, where: string, waiting: number): string {
  const late =
    waiting > 0
      ? ` I'm pinging them now on ${waiting} request${waiting === 1 ? '' : 's'} that ${waiting === 1 ? 'was' : 'were'} waiting for a ${roleLabel} owner.`
      : '';
  return `Done: ${mentionOf(owner)} now owns ${roleLabel} requests ${where}.${late}`;
}
