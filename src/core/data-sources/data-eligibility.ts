import { errorSummary } from '../errors.js';
import type { Logger } from '../logger.js';
import { isWorkspaceMember } from '../permissions.js';
import type { ConversationSharingLookup, UserLookup } from '../slack-roles.js';
import type { DataTask } from './answer-data.js';

/**
 * Why this file exists: a channel's data source is the workspace's, mapped by its admins for its own
 * people. In a Slack Connect channel the answers (and what the tools read) reach another organisation,
 * and a guest or another organisation's user asking in a mapped channel is not whom the mapping was
 * for. So the data tools (and the section telling the model about them) are offered only when the
 * requester is a full member of this workspace and the channel is not shared with another
 * organisation; when Slack cannot say, they are not offered (fail closed).
 */

export interface DataEligibilityDeps {
  /** users.info and conversations.info (the Slack gateway). Absent: never eligible. */
  slack?: UserLookup & Partial<ConversationSharingLookup>;
  /** The workspace the bot is installed in (auth.test). Absent: never eligible. */
  workspaceTeamId?: string;
}

/** Why the task's answer may not read data, or undefined when it may. */
export async function dataToolsWithheld(
  deps: DataEligibilityDeps,
  task: DataTask,
  log: Logger,
): Promise<string | undefined> {
  const { slack, workspaceTeamId } = deps;
  if (!slack?.isSharedExternally || !workspaceTeamId) return 'who asked and where cannot be checked';
  try {
    const [user, shared] = await Promise.all([
      slack.getUser(task.requesterId),
      slack.isSharedExternally(task.channelId),
    ]);
    if (shared) return 'the channel is shared with another organisation';
    if (!user || !isWorkspaceMember(user, workspaceTeamId))
      return 'the requester is not a full member of this workspace';
    return undefined;
  } catch (error) {
    log.warn('could not check who may read data; no data tools', { error: errorSummary(error) });
    return 'Slack could not say who asked or where';
  }
}
