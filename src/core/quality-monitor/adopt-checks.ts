import type { CollaborationStore } from '../collaboration/collaboration-store.js';
import type { DataSourceCatalog } from '../data-sources/data-source.js';
import { isTeamAdmin, type PermissionDeps } from '../permissions.js';
import type { TaskStore } from '../tasks/task-store.js';
import type { CheckSchedule } from './check-schedule.js';
import type { AdoptedCheck, QualityCheckStore } from './check-store.js';

/**
 * Why this file exists: who may turn an answer's proposed checks into scheduled runs, and the adoption
 * itself (issue 17). Adopting makes the bot query a team's warehouse on a schedule and post in a thread,
 * so not every channel member may do it: the person who asked for the answer, the channel's QA owner
 * (the person the failures are for) or an admin. The checks are the ones that answer offered, never
 * text from the click; a channel holds at most MAX_CHECKS_PER_CHANNEL.
 */

export const MAX_CHECKS_PER_CHANNEL = 50;

export interface AdoptDeps extends PermissionDeps {
  store: Pick<TaskStore, 'getTask'>;
  collaboration: Pick<CollaborationStore, 'effectiveOwners'>;
  qualityChecks: Pick<QualityCheckStore, 'offeredBy' | 'adopt' | 'checksIn'>;
  dataSources: Pick<DataSourceCatalog, 'list'>;
}

export interface AdoptClick {
  teamId: string;
  channelId: string;
  userId: string;
  taskId: number;
  turnId: number;
}

export type AdoptAccess =
  | { kind: 'allowed'; checks: number; threadTs: string }
  | { kind: 'gone' | 'not_allowed' | 'no_sources' | 'nothing_offered' };

/** May this person adopt the checks this answer offered? (A failed admin look-up counts as no.) */
export async function adoptAccess(deps: AdoptDeps, click: AdoptClick): Promise<AdoptAccess> {
  const task = deps.store.getTask(click.teamId, click.taskId);
  if (!task || task.channelId !== click.channelId || !task.threadTs) return { kind: 'gone' };
  const qaOwner = deps.collaboration.effectiveOwners(click.teamId, click.channelId).get('qa');
  const allowed =
    task.requesterId === click.userId ||
    (qaOwner?.kind === 'user' && qaOwner.id === click.userId) ||
    (await isTeamAdmin(deps, click.userId));
  if (!allowed) return { kind: 'not_allowed' };
  const offered = deps.qualityChecks.offeredBy(click.teamId, click.taskId, click.turnId);
  if (offered.length === 0) return { kind: 'nothing_offered' };
  if (deps.dataSources.list().length === 0) return { kind: 'no_sources' };
  return { kind: 'allowed', checks: offered.length, threadTs: task.threadTs };
}

export interface Adoption extends AdoptClick {
  sourceName: string;
  schedule: CheckSchedule;
  timeZone: string;
  at: Date;
}

export type AdoptOutcome =
  | { kind: 'adopted'; adopted: AdoptedCheck[]; taken: string[] }
  | { kind: 'unknown_source' | 'channel_full' }
  | Exclude<AdoptAccess, { kind: 'allowed' }>;

/** Adopts what the answer offered, after asking again who may (the form may have sat open for a while). */
export async function adoptChecks(deps: AdoptDeps, adoption: Adoption): Promise<AdoptOutcome> {
  const access = await adoptAccess(deps, adoption);
  if (access.kind !== 'allowed') return access;
  if (!deps.dataSources.list().some((source) => source.name === adoption.sourceName)) {
    return { kind: 'unknown_source' };
  }
  const existing = deps.qualityChecks.checksIn(adoption.teamId, adoption.channelId).length;
  if (existing + access.checks > MAX_CHECKS_PER_CHANNEL) return { kind: 'channel_full' };
  const { teamId, channelId, taskId, turnId, userId } = adoption;
  const result = deps.qualityChecks.adopt({
    teamId,
    channelId,
    taskId,
    threadTs: access.threadTs,
    sourceName: adoption.sourceName,
    schedule: adoption.schedule,
    timeZone: adoption.timeZone,
    adoptedBy: userId,
    adoptedAt: adoption.at,
    checks: deps.qualityChecks.offeredBy(teamId, taskId, turnId),
  });
  return { kind: 'adopted', ...result };
}
