import {
  mentionOf,
  noOwnerText,
  ownerNotHereText,
  ownerUncheckedText,
  pingMessage,
  ROLE_LABELS,
} from '../../render/collaboration-messages.js';
import type { CollaborationRequest, CollaborationRole, OwnerRef, Task } from '../domain.js';
import { errorSummary, notInConversation } from '../errors.js';
import type { AnswerQueue } from '../jobs/jobs.js';
import type { Logger } from '../logger.js';
import type { PeopleDirectory } from '../people.js';
import type { MessageLinks, ThreadWriter } from '../slack-roles.js';
import type { AnnouncementKind, CollaborationAsk, CollaborationStore } from './collaboration-store.js';

/** Queues a task's job (which posts its pending pings) and tells the worker. */
export interface QueueDeps {
  jobs: AnswerQueue;
  kick(): void;
}

export interface CollaborationDeps {
  collaboration: CollaborationStore;
  slack: ThreadWriter & MessageLinks;
  logger: Logger;
  /** Names, group members and conversation members (cached). */
  people: PeopleDirectory;
}

/**
 * The agent called request_collaboration. The request is stored (once per task, role and topic) but
 * nothing is posted yet: pings follow the answer, so the thread reads answer first, then who is
 * asked for what. The returned text is what the model reads as the tool's result.
 */
export async function recordCollaborationAsk(
  deps: CollaborationDeps,
  task: Task & { threadTs: string },
  ask: CollaborationAsk,
): Promise<string> {
  const owner = (await deps.collaboration.effectiveOwners(task.teamId, task.channelId)).get(ask.role);
  const { request, created, sameTopic } = await deps.collaboration.recordRequest({
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

/**
 * After a turn: posts the pings (or "no owner yet" notes) of this task that are not in the thread yet.
 * A post that failed stays claimed but unconfirmed and fails the job, so the worker retries it; the
 * retry looks the post up by its metadata key first (it may have landed before the error).
 */
export async function announceRequests(
  deps: CollaborationDeps,
  teamId: string,
  taskId: number,
): Promise<void> {
  const pending = await deps.collaboration.unannounced(teamId, taskId);
  // One fresh look at each conversation's members per round (see PeopleDirectory.ownerCanRead).
  for (const channelId of new Set(pending.map((r) => r.channelId))) deps.people.forgetConversation(channelId);
  let failure: unknown;
  for (const request of pending) {
    await announce(deps, request).catch((error: unknown) => {
      failure ??= error;
    });
  }
  if (failure !== undefined) throw failure;
}

/**
 * An owner was set for a role: every request that was waiting for one and now resolves to an owner in
 * its channel is assigned (at most once), and its task's job is queued to post the ping, so the ping
 * survives a crash like any other work. Returns how many requests will be pinged.
 */
export async function assignWaitingRequests(
  deps: CollaborationDeps & QueueDeps,
  teamId: string,
  role: CollaborationRole,
): Promise<number> {
  let assigned = 0;
  for (const request of await deps.collaboration.unassigned(teamId, role)) {
    const owner = (await deps.collaboration.effectiveOwners(teamId, request.channelId)).get(role);
    if (!owner) continue;
    if (!(await deps.collaboration.assignOwner(teamId, request.id, { kind: owner.kind, id: owner.id })))
      continue;
    await deps.jobs.enqueue(teamId, request.taskId);
    assigned += 1;
  }
  if (assigned > 0) deps.kick();
  return assigned;
}

/**
 * Posts one request's ping (owner known and able to read it), its "no owner yet" guidance, or its
 * "owner isn't here" invite note, each at most once. A ping goes only where its owner can read it: in a
 * DM or a channel the owner is not in, the thread says once that they must be invited (the invite claim,
 * its own because a request that began without an owner already used the guidance one), and a later turn
 * pings them once they are there; when Slack cannot say who is in the conversation, the thread is told
 * that (once, same claim) rather than nothing. Each post is claimed before and confirmed after, with a
 * metadata key: a claim that a crashed or failed run never confirmed is looked up in the thread first.
 */
async function announce(deps: CollaborationDeps, request: CollaborationRequest): Promise<void> {
  const readable = request.owner ? await ownerCanRead(deps, request, request.owner) : true;
  const kind: AnnouncementKind = !request.owner ? 'guidance' : readable === true ? 'ping' : 'invite';
  const claim = await deps.collaboration.claimAnnouncement(request.teamId, request.id, kind);
  if (!claim) return;
  const key = `request-${request.id}-${kind}`;
  try {
    // Claimed before by a run that never confirmed it (a crash, a timeout, a 5xx): it may be there.
    const earlier =
      claim === 'unconfirmed'
        ? await deps.slack.findPosted(request.channelId, key, request.threadTs)
        : undefined;
    const ts = earlier ?? (await post(deps, request, kind, readable, key));
    await deps.collaboration.confirmAnnouncement(request.teamId, request.id, kind, ts);
  } catch (error) {
    deps.logger.warn('could not post a collaboration request', {
      teamId: request.teamId,
      requestId: request.id,
      kind,
      error: errorSummary(error),
    });
    // Not in the channel any more: retrying cannot help; the claim stays open for a later run.
    if (notInConversation(error)) return;
    throw error;
  }
}

/**
 * Whether the owner is in the request's conversation. Unknown (Slack failed) is not yes: no ping is
 * posted, so a private conversation's topic never reaches someone outside it.
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
      error: errorSummary(error),
    });
    return undefined;
  }
}

async function post(
  deps: CollaborationDeps,
  request: CollaborationRequest,
  kind: AnnouncementKind,
  readable: boolean | undefined,
  key: string,
): Promise<string> {
  if (kind === 'guidance')
    return deps.slack.postText(request.channelId, noOwnerText(request), request.threadTs, key);
  if (kind === 'invite' || !request.owner) {
    const note = readable === false ? ownerNotHereText(request) : ownerUncheckedText(request);
    return deps.slack.postText(request.channelId, note, request.threadTs, key);
  }
  const ts = await deps.slack.postBlocks(
    request.channelId,
    pingMessage(request, request.owner),
    request.threadTs,
    key,
  );
  deps.logger.info('collaboration owner pinged', {
    teamId: request.teamId,
    requestId: request.id,
    role: request.role,
    owner: mentionOf(request.owner),
  });
  return ts;
}
