import { errorSummary, SlackError } from './errors.js';
import type { Logger } from './logger.js';
import { adminsOnlyText, permissionUncheckedText } from './messages.js';
import type { SlackUserInfo, UserLookup } from './slack-roles.js';

export interface PermissionDeps {
  slack: UserLookup;
  logger: Logger;
  /** Users who may change settings besides workspace admins and owners (BOT_ADMINS). */
  botAdmins: readonly string[];
  /** The workspace the bot is installed in (auth.test): only its own admins are admins here. */
  workspaceTeamId: string;
}

/**
 * An admin or owner of *this* workspace. Slack Connect shows other workspaces' users in shared
 * channels with their own is_admin/is_owner, and guests can be flagged too by mistake: a user of
 * another team, a guest (restricted or ultra restricted), a stranger, a bot or a deactivated account
 * is never an admin here, whatever users.info says about is_admin. On Enterprise Grid a user's
 * team_id can be another workspace of the organisation (or the organisation itself): they count when
 * enterprise_user.teams lists this workspace.
 */
export function isWorkspaceAdmin(user: SlackUserInfo, workspaceTeamId: string): boolean {
  return user.isAdmin && isWorkspaceMember(user, workspaceTeamId);
}

/**
 * A full member of *this* workspace: not a user of another team (Slack Connect), a guest, a stranger,
 * a bot or a deactivated account. On Enterprise Grid, a member of the organisation who belongs to this
 * workspace (enterprise_user.teams) counts.
 */
export function isWorkspaceMember(user: SlackUserInfo, workspaceTeamId: string): boolean {
  return (
    (user.teamId === workspaceTeamId || (user.enterpriseTeamIds ?? []).includes(workspaceTeamId)) &&
    !user.isGuest &&
    !user.isStranger &&
    !user.isBot &&
    !user.deleted
  );
}

/** BOT_ADMINS, or an admin of this workspace (users.info). Throws SlackError when Slack cannot say. */
export async function isAdmin(deps: PermissionDeps, userId: string): Promise<boolean> {
  if (deps.botAdmins.includes(userId)) return true;
  const user = await deps.slack.getUser(userId);
  return user !== undefined && isWorkspaceAdmin(user, deps.workspaceTeamId);
}

/**
 * Owners and digest schedules are team-wide settings: only workspace admins and owners (users.info)
 * and the BOT_ADMINS may change them. Returns the polite refusal, or undefined when allowed.
 */
export async function refuseUnlessAdmin(
  deps: PermissionDeps,
  userId: string,
  what: string,
): Promise<string | undefined> {
  try {
    if (await isAdmin(deps, userId)) return undefined;
  } catch (error) {
    deps.logger.warn('could not check who may change settings', { error: errorSummary(error) });
    return permissionUncheckedText(slackSaid(error));
  }
  return adminsOnlyText(deps.botAdmins, what);
}

/**
 * isAdmin for a button press: a failed look-up counts as no (fail closed); the caller refuses politely
 * and the person can try again.
 */
export async function isTeamAdmin(deps: PermissionDeps, userId: string): Promise<boolean> {
  try {
    return await isAdmin(deps, userId);
  } catch (error) {
    deps.logger.warn('could not check whether someone is an admin', { error: errorSummary(error) });
    return false;
  }
}

export function slackSaid(error: unknown): string {
  return error instanceof SlackError ? ` (Slack said \`${error.code}\`)` : '';
}
