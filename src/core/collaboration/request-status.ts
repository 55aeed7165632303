import {
  ANSWER_CHECK_FAILED_TEXT,
  mayNotAnswerText,
  openRequestsText,
  pingMessage,
  REQUEST_GONE_TEXT,
  requestDoneText,
  requestUnchangedText,
} from '../../render/collaboration-messages.js';
import type { CollaborationRequest } from '../domain.js';
import { errorSummary } from '../errors.js';
import type { PeopleDirectory } from '../people.js';
import { isAdmin, type PermissionDeps } from '../permissions.js';
import { defineSubCommand, inAck } from '../sub-command.js';
import type { TaskStore } from '../tasks/task-store.js';
import type { CollaborationDeps } from './requests.js';

/** What a click on Acknowledge / Done needs: the request, its task's requester, groups and admins. */
export type RequestClickDeps = CollaborationDeps &
  PermissionDeps & {
    store: Pick<TaskStore, 'getTask'>;
    people: PeopleDirectory;
  };

/**
 * Acknowledge / Done on a ping. The stored record moves first; the message is then redrawn from it,
 * so the message always shows the stored state. Returns a note for the clicker when nothing changed.
 */
export async function advanceRequest(
  deps: RequestClickDeps,
  click: { teamId: string; requestId: number; userId: string; to: 'acknowledged' | 'done' },
): Promise<{ note?: string }> {
  const stored = await deps.collaboration.getRequest(click.teamId, click.requestId);
  if (!stored) return { note: REQUEST_GONE_TEXT };
  const refusal = await refuseUnlessMayAnswer(deps, stored, click.userId, click.to);
  if (refusal) return { note: refusal };
  const result = await deps.collaboration.advance(click.teamId, click.requestId, click.to, click.userId);
  if (!result) return { note: REQUEST_GONE_TEXT };
  const { request, changed } = result;
  if (changed) {
    deps.logger.info('collaboration request updated', {
      teamId: click.teamId,
      requestId: request.id,
      status: request.status,
      by: click.userId,
    });
  }
  await redraw(deps, request);
  if (changed && request.status === 'done') await announceDone(deps, request, click.userId);
  if (changed) return {};
  return { note: requestUnchangedText(request.status === 'done') };
}

/**
 * Only the owner (the person, or a member of the owner group), the person who asked, or an admin may
 * acknowledge or close a request: anyone else in the channel could otherwise make it vanish from the
 * owner's Home tab. Returns the refusal, or undefined when allowed.
 */
async function refuseUnlessMayAnswer(
  deps: RequestClickDeps,
  request: CollaborationRequest,
  userId: string,
  to: 'acknowledged' | 'done',
): Promise<string | undefined> {
  if (request.owner?.kind === 'user' && request.owner.id === userId) return undefined;
  if ((await deps.store.getTask(request.teamId, request.taskId))?.requesterId === userId) return undefined;
  // Each check on its own: an install without usergroups:read must not lock admins out.
  let unknown = false;
  const checks = [
    () => isAdmin(deps, userId),
    async () => request.owner?.kind === 'group' && (await deps.people.inGroup(request.owner.id, userId)),
  ];
  for (const check of checks) {
    try {
      if (await check()) return undefined;
    } catch (error) {
      unknown = true;
      deps.logger.warn('could not check who may answer a collaboration request', {
        teamId: request.teamId,
        requestId: request.id,
        error: errorSummary(error),
      });
    }
  }
  return unknown ? ANSWER_CHECK_FAILED_TEXT : mayNotAnswerText(request, to);
}

/** Done says so in the thread, once, by name (not a mention): nobody's request disappears silently. */
async function announceDone(deps: RequestClickDeps, request: CollaborationRequest, userId: string) {
  const name = await deps.people.nameOf(userId);
  const text = requestDoneText(name, request);
  try {
    await deps.slack.postText(request.channelId, text, request.threadTs);
  } catch (error) {
    deps.logger.warn('could not say in the thread that a request is done', {
      teamId: request.teamId,
      requestId: request.id,
      error: errorSummary(error),
    });
  }
}

async function redraw(deps: CollaborationDeps, request: CollaborationRequest): Promise<void> {
  if (!request.pingTs || !request.owner) return;
  try {
    await deps.slack.updateBlocks(request.channelId, request.pingTs, pingMessage(request, request.owner));
  } catch (error) {
    deps.logger.warn('could not update a collaboration message', {
      teamId: request.teamId,
      requestId: request.id,
      error: errorSummary(error),
    });
  }
}

const LIST_LIMIT = 20;

/** `/data-engineer requests`: the channel's open requests, oldest first, each linked to its thread. */
export async function listOpenRequests(
  deps: CollaborationDeps,
  teamId: string,
  channelId: string,
  now = Date.now(),
): Promise<string> {
  const { requests, total } = await deps.collaboration.openInChannel(teamId, channelId, LIST_LIMIT);
  const linkOf = (r: CollaborationRequest) =>
    deps.slack.messageLink(r.channelId, r.pingTs ?? r.threadTs, r.threadTs);
  return openRequestsText(requests, total, linkOf, now);
}

/** `/data-engineer requests` (or `requests list`); anything longer is a task about requests. */
export const requestsSubCommand = defineSubCommand<{ kind: 'requests' }, CollaborationDeps>({
  name: 'requests',
  usage: ['`/data-engineer requests` lists this channel’s open requests: role, topic, owner, age and thread'],
  parse: (args) =>
    args.length === 0 || (args.length === 1 && args[0]?.toLowerCase() === 'list')
      ? { kind: 'requests' }
      : undefined,
  run: (deps, context) => inAck(listOpenRequests(deps, context.teamId, context.channelId)),
});
