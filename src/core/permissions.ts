import { SlackError } from './errors.js';
import type { Logger, SlackPort } from './ports.js';
import { describe } from './work-runner.js';

export interface PermissionDeps {
  slack: SlackPort;
  logger: Logger;
  /** Users who may change settings besides workspace admins and owners (BOT_ADMINS). */
  botAdmins: readonly string[];
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
  if (deps.botAdmins.includes(userId)) return undefined;
  try {
    const user = await deps.slack.getUser(userId);
    if (user?.isAdmin) return undefined;
  } catch (error) {
    deps.logger.warn('could not check who may change settings', { error: describe(error) });
    return `I couldn't check your permissions with Slack just now${slackSaid(error)}. Please try again in a moment.`;
  }
  const admins = deps.botAdmins.map((id) => `<@${id}>`).join(', ');
  return `Sorry, only workspace admins and owners${admins ? ` and the bot's admins (${admins})` : ''} can change ${what}. Ask one of them to run the command.`;
}

/**
 * Whether someone is a workspace admin or owner (users.info) or one of BOT_ADMINS. A failed look-up
 * counts as no: the caller refuses politely and the person can try again.
 */
export async function isTeamAdmin(deps: PermissionDeps, userId: string): Promise<boolean> {
  if (deps.botAdmins.includes(userId)) return true;
  try {
    return (await deps.slack.getUser(userId))?.isAdmin === true;
  } catch (error) {
    deps.logger.warn('could not check whether someone is an admin', { error: describe(error) });
    return false;
  }
}

export function slackSaid(error: unknown): string {
  return error instanceof SlackError ? ` (Slack said \`${error.code}\`)` : '';
}
