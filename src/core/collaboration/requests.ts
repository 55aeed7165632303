import {
  mentionOf,
  noOwnerText,
  ownerNotHereText,
  ownerUncheckedText,
  pingMessage,
  ROLE_LABELS,
} from '../../render/collaboration-messages.js';
import type { JobQueue } from '../jobs.js';
import type { CollaborationRequest, CollaborationRole, OwnerRef, Task } from '../model.js';
import type { PeopleDirectory } from '../people.js';
import type { CollaborationAsk, CollaborationStore, Logger, SlackPort } from '../ports.js';
import { describe } from '../work-runner.js';

/** Queues a task's job (which posts its pending pings) and tells the worker. */
export interface QueueDeps {
  jobs: JobQueue;
  kick(): void;
}

export interface CollaborationDeps {
  collaboration: CollaborationStore;
  slack: SlackPort;
  logger: Logger;
  /** Names, group members and conversation members (cached). */
  people: PeopleDirectory;
}

/**
 * The agent called request_collaboration. The request is stored (once per task, role and topic) but
 * nothing is posted yet: pings follow the answer, so the thread reads answer first, then who is
 * asked for what. The returned text is what the model reads as the tool's result.
 */
export function recordCollaborationAsk(
  deps: CollaborationDeps,
  task: Task & { threadTs: string },
  ask: CollaborationAsk,
): string {
  const owner = deps.collaboration.effectiveOwners(task.teamId, task.channelId).get(ask.role);
  const { request, created, sameTopic } = deps.collaboration.recordRequest({
    teamId: task.teamId,
    taskId: task.id,
    channelId: task.channelId,
    threadTs: task.threadTs,
    ...ask,
    owner: owner ? { kind: owner.kind, id: owner.id } : null,
  });
  const role = ROLE_LABELS[ask.role];
  if (!created && !sameTopic) {
    return `Not sent: the ${role} owner was already asked in this task (topic: "${request.topic}", status: ${request.status}), and each role is asked at most once per task. Do not call request_collaboration for ${ask.role} again; put anything else you need from ${role} in your answer text, next to that request.`;
  }
  if (!created) {
    return `Already requested from ${role} earlier in this thread (status: ${request.status}); it will not be sent again. Do not repeat it; continue your answer.`;
  }
  deps.logger.info('collaboration requested', {
    teamId: task.teamId,
    taskId: task.id,
    requestId: request.id,
    role: ask.role,
    assigned: owner !== undefined,
  });
  return owner
    ? `Recorded. After your answer the bot pings the ${role} owner in this thread with this request. Continue your answer.`
    : `Recorded. This team has no ${role} owner yet; after your answer the bot explains in the thread how to set one. Continue your answer.`;
}

/** After a turn: posts the pings (or "no owner yet" notes) of this task that are not in the thread yet. */
export async function announceRequests(
  deps: CollaborationDeps,
  teamId: string,
  taskId: number,
): Promise<void> {
  const pending = deps.collaboration.unannounced(teamId, taskId);
  // One fresh look at each conversation's members per round (see PeopleDirectory.ownerCanRead).
  for (const channelId of new Set(pending.map((r) => r.channelId))) deps.people.forgetConversation(channelId);
  for (const request of pending) await announce(deps, request);
}

/**
 * An owner was set for a role: every request that was waiting for one and now resolves to an owner in
 * its channel is assigned (at most once), and its task's job is queued to post the ping, so the ping
 * survives a crash like any other work. Returns how many requests will be pinged.
 */
export function assignWaitingRequests(
  deps: CollaborationDeps & QueueDeps,
  teamId: string,
  role: CollaborationRole,
): number {
  let assigned = 0;
  for (const request of deps.collaboration.unassigned(teamId, role)) {
    const owner = deps.collaboration.effectiveOwners(teamId, request.channelId).get(role);
    if (!owner) continue;
    if (!deps.collaboration.assignOwner(teamId, request.id, { kind: owner.kind, id: owner.id })) continue;
    deps.jobs.enqueue(teamId, request.taskId);
    assigned += 1;
  }
  if (assigned > 0) deps.kick();
  return assigned;
}

/**
 * Posts one request's ping (owner known) or guidance (no owner). A ping goes only where its owner can
 * read it: in a DM or a channel the owner is not in, the thread says once that they must be invited
 * (the invite claim), and a later turn pings them once they are there. When Slack cannot say who is
 * in the conversation, the thread is told that too (once, same claim) rather than nothing.
 */
async function announce(deps: CollaborationDeps, request: CollaborationRequest): Promise<void> {
  const readable = request.owner ? await ownerCanRead(deps, request, request.owner) : true;
  if (readable !== true) {
    // Its own claim: a request that began without an owner already used the guidance one.
    if (!deps.collaboration.claimAnnouncement(request.teamId, request.id, 'invite')) return;
    const note = readable === false ? ownerNotHereText(request) : ownerUncheckedText(request);
    try {
      await deps.slack.postText(request.channelId, note, request.threadTs);
    } catch (error) {
      deps.collaboration.releaseAnnouncement(request.teamId, request.id, 'invite');
      deps.logger.warn('could not post a collaboration note', {
        teamId: request.teamId,
        requestId: request.id,
        error: describe(error),
      });
    }
    return;
  }
  const kind = request.owner ? 'ping' : 'guidance';
  if (!deps.collaboration.claimAnnouncement(request.teamId, request.id, kind)) return;
  try {
    if (request.owner) {
      const ts = await deps.slack.postBlocks(
        request.channelId,
        pingMessage(request, request.owner),
        request.threadTs,
      );
      deps.collaboration.setPingTs(request.teamId, request.id, ts);
      deps.logger.info('collaboration owner pinged', {
        teamId: request.teamId,
        requestId: request.id,
        role: request.role,
        owner: mentionOf(request.owner),
      });
    } else {
      await deps.slack.postText(request.channelId, noOwnerText(request), request.threadTs);
    }
  } catch (error) {
    // Not posted: a later turn or owner change may claim it again.
    deps.collaboration.releaseAnnouncement(request.teamId, request.id, kind);
    deps.logger.warn('could not post a collaboration request', {
      teamId: request.teamId,
      requestId: request.id,
      error: describe(error),
    });
  }
}

/**
 * Whether the owner is in the request's conversation. Unknown (Slack failed) counts as no, and
 * nothing is posted: a later turn asks again. A private conversation's topic never reaches someone
 * outside it.
 */
async function ownerCanRead(
  deps: CollaborationDeps,
  request: CollaborationRequest,
  owner: OwnerRef,
): Promise<boolean | undefined> {
  try {
    return await deps.people.ownerCanRead(request.channelId, owner);
  } catch (error) {
    deps.logger.warn('could not check whether the owner is in the conversation', {
      teamId: request.teamId,
      requestId: request.id,
      error: describe(error),
    });
    return undefined;
  }
}
