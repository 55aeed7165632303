import type { CollaborationStore } from '../collaboration/collaboration-store.js';
import type { ChannelSourceStore } from '../data-sources/channel-sources.js';
import type { DataSourceCatalog, DataSourceInfo } from '../data-sources/data-source.js';
import { isTeamAdmin, type PermissionDeps } from '../permissions.js';
import type { TaskStore } from '../tasks/task-store.js';
import { type CheckSchedule, nextSlot } from './check-schedule.js';
import type { AdoptedCheck, QualityCheckStore } from './check-store.js';

/**
 * Why this file exists: who may turn an answer's proposed checks into scheduled runs, and the adoption
 * itself (issue 17). Adopting makes the bot query a team's warehouse on a schedule and post in a thread,
 * so not every channel member may do it: the person who asked for the answer, the channel's QA owner
 * (the person the failures are for) or an admin. The checks are the ones that answer offered, never
 * text from the click; a channel holds at most MAX_CHECKS_PER_CHANNEL.
 */

export const MAX_CHECKS_PER_CHANNEL = 50;
/** Every scheduler pass looks at due checks only, but a workspace's runs share its sources: bounded too. */
export const MAX_CHECKS_PER_TEAM = 500;

export interface AdoptDeps extends PermissionDeps {
  store: Pick<TaskStore, 'getTask'>;
  collaboration: Pick<CollaborationStore, 'effectiveOwners'>;
  qualityChecks: Pick<QualityCheckStore, 'offeredBy' | 'adopt'>;
  dataSources: Pick<DataSourceCatalog, 'list'>;
  /** The source an admin mapped to the channel: the only one its checks may query. */
  channelSources: Pick<ChannelSourceStore, 'sourceOf'>;
}

export interface AdoptClick {
  teamId: string;
  channelId: string;
  userId: string;
  taskId: number;
  turnId: number;
}

export type AdoptAccess =
  | { kind: 'allowed'; checks: number; threadTs: string; source: DataSourceInfo }
  | { kind: 'gone' | 'not_allowed' | 'no_sources' | 'nothing_offered' };

/** May this person adopt the checks this answer offered? (A failed admin look-up counts as no.) */
export async function adoptAccess(deps: AdoptDeps, click: AdoptClick): Promise<AdoptAccess> {
  const task = await deps.store.getTask(click.teamId, click.taskId);
  if (!task || task.channelId !== click.channelId || !task.threadTs) return { kind: 'gone' };
  const qaOwner = (await deps.collaboration.effectiveOwners(click.teamId, click.channelId)).get('qa');
  const allowed =
    task.requesterId === click.userId ||
    (qaOwner?.kind === 'user' && qaOwner.id === click.userId) ||
    (await isTeamAdmin(deps, click.userId));
  if (!allowed) return { kind: 'not_allowed' };
  const offered = await deps.qualityChecks.offeredBy(click.teamId, click.taskId, click.turnId);
  if (offered.length === 0) return { kind: 'nothing_offered' };
  // Checks query only what an admin already let this channel read (the data tools' source), never a
  // source picked by whoever clicks.
  const mapped = (await deps.channelSources.sourceOf(click.teamId, click.channelId))?.sourceName;
  const source = deps.dataSources.list().find((s) => s.name === mapped);
  if (!source) return { kind: 'no_sources' };
  return { kind: 'allowed', checks: offered.length, threadTs: task.threadTs, source };
}

export interface Adoption extends AdoptClick {
  sourceName: string;
  schedule: CheckSchedule;
  timeZone: string;
  at: Date;
}

export type AdoptOutcome =
  | { kind: 'adopted'; adopted: AdoptedCheck[]; taken: string[] }
  | { kind: 'unknown_source' | 'channel_full' | 'team_full' }
  | Exclude<AdoptAccess, { kind: 'allowed' }>;

/** Adopts what the answer offered, after asking again who may (the form may have sat open for a while). */
export async function adoptChecks(deps: AdoptDeps, adoption: Adoption): Promise<AdoptOutcome> {
  const access = await adoptAccess(deps, adoption);
  if (access.kind !== 'allowed') return access;
  if (access.source.name !== adoption.sourceName) return { kind: 'unknown_source' };
  const { teamId, channelId, taskId, turnId, userId } = adoption;
  const result = await deps.qualityChecks.adopt({
    teamId,
    channelId,
    taskId,
    threadTs: access.threadTs,
    sourceName: adoption.sourceName,
    schedule: adoption.schedule,
    timeZone: adoption.timeZone,
    adoptedBy: userId,
    adoptedAt: adoption.at,
    nextSlotAt: nextSlot(adoption.schedule, adoption.timeZone, adoption.at),
    checks: await deps.qualityChecks.offeredBy(teamId, taskId, turnId),
    limits: { perChannel: MAX_CHECKS_PER_CHANNEL, perTeam: MAX_CHECKS_PER_TEAM },
  });
  if ('full' in result) return { kind: result.full === 'channel' ? 'channel_full' : 'team_full' };
  return { kind: 'adopted', ...result };
}
