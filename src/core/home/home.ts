import { homeView } from '../../render/home-view.js';
import type { CollaborationStore } from '../collaboration/collaboration-store.js';
import type { DigestTask } from '../digest/digest-facts.js';
import type { CollaborationRequest } from '../domain.js';
import { errorSummary } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PeopleDirectory } from '../people.js';
import type { QualityCheckStore } from '../quality-monitor/check-store.js';
import type { MessageLinks } from '../slack-roles.js';
import type { ViewPublisher } from './view-publisher.js';

/** What the Home tab shows one person. */
export interface HomeStore {
  /** Their most recent tasks, newest first. */
  recentTasksOf(teamId: string, userId: string, limit: number): Promise<DigestTask[]>;
  /**
   * Collaboration requests assigned to them (as a person) that are not done and whose ping was
   * posted, oldest first. A ping is posted only where its owner could read it, so requests from a DM
   * or a channel the owner was never in (never pinged) cannot crowd out the rest.
   */
  openRequestsOwnedBy(teamId: string, userId: string, limit: number): Promise<CollaborationRequest[]>;
}

export interface HomeDeps {
  home: HomeStore;
  /** The data-quality checks they adopted (issue 17). */
  qualityChecks?: Pick<QualityCheckStore, 'adoptedBy'>;
  collaboration: CollaborationStore;
  slack: ViewPublisher & MessageLinks;
  logger: Logger;
  people: PeopleDirectory;
}

const SHOWN = 10;
/** Requests read before the membership filter, so a few from conversations they left do not empty the list. */
const CANDIDATES = 50;

/**
 * The Home tab, drawn fresh each time someone opens it: how to use the bot, what is waiting on them
 * (questions to answer, requests they own), their recent tasks, and the workspace's owners.
 */
export async function publishHome(deps: HomeDeps, teamId: string, userId: string): Promise<void> {
  const requests = await deps.home.openRequestsOwnedBy(teamId, userId, CANDIDATES);
  const checks = (await deps.qualityChecks?.adoptedBy(teamId, userId, CANDIDATES)) ?? [];
  const theirs = await conversationsOf(deps, userId, requests.length + checks.length);
  const view = homeView({
    userId,
    tasks: await deps.home.recentTasksOf(teamId, userId, SHOWN),
    requests: requests.filter((request) => theirs.has(request.channelId)).slice(0, SHOWN),
    checks: checks
      .filter((check) => theirs.has(check.channelId))
      .slice(0, SHOWN)
      .map((c) => ({
        name: c.name,
        channelId: c.channelId,
        threadTs: c.threadTs,
        state: c.state,
        status: c.alert.status,
      })),
    owners: await deps.collaboration.effectiveOwners(teamId, ''),
    link: (channelId, ts, threadTs) => deps.slack.messageLink(channelId, ts, threadTs),
    now: Date.now(),
  });
  try {
    await deps.slack.publishHome(userId, view);
  } catch (error) {
    deps.logger.warn('could not publish the Home tab', { teamId, error: errorSummary(error) });
  }
}

/**
 * Only requests and checks from conversations the viewer is in: a request raised in a DM or a private
 * channel names its topic and links its thread, which must not reach someone outside it (nor someone
 * who left since). One users.conversations read for the viewer answers for every item; unknown
 * membership (Slack failed) hides them all.
 */
async function conversationsOf(deps: HomeDeps, userId: string, items: number): Promise<Set<string>> {
  if (items === 0) return new Set();
  return deps.people.conversationsOf(userId).catch((error: unknown) => {
    deps.logger.warn('could not read the conversations of a Home tab viewer', { error: errorSummary(error) });
    return new Set<string>();
  });
}
