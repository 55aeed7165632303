import { homeView } from '../render/home-view.js';
import type { DigestTask } from './digest/digest-facts.js';
import type { CollaborationRequest } from './model.js';
import type { CollaborationStore, Logger, SlackPort } from './ports.js';
import { describe } from './work-runner.js';

/** What the Home tab shows one person. */
export interface HomeStore {
  /** Their most recent tasks, newest first. */
  recentTasksOf(teamId: string, userId: string, limit: number): DigestTask[];
  /** Collaboration requests assigned to them (as a person) that are not done, oldest first. */
  openRequestsOwnedBy(teamId: string, userId: string, limit: number): CollaborationRequest[];
}

export interface HomeDeps {
  home: HomeStore;
  collaboration: CollaborationStore;
  slack: SlackPort;
  logger: Logger;
}

/**
 * The Home tab, drawn fresh each time someone opens it: how to use the bot, what is waiting on them
 * (questions to answer, requests they own), their recent tasks, and the workspace's owners.
 */
export async function publishHome(deps: HomeDeps, teamId: string, userId: string): Promise<void> {
  const view = homeView({
    userId,
    tasks: deps.home.recentTasksOf(teamId, userId, 10),
    requests: deps.home.openRequestsOwnedBy(teamId, userId, 10),
    owners: deps.collaboration.effectiveOwners(teamId, ''),
    link: (channelId, ts, threadTs) => deps.slack.messageLink(channelId, ts, threadTs),
    now: Date.now(),
  });
  try {
    await deps.slack.publishHome(userId, view);
  } catch (error) {
    deps.logger.warn('could not publish the Home tab', { teamId, error: describe(error) });
  }
}
