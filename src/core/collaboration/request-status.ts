import { inert, mentionOf, pingMessage, ROLE_LABELS } from '../../render/collaboration-messages.js';
import { age } from '../../render/time-text.js';
import type { CollaborationRequest } from '../model.js';
import { describe } from '../work-runner.js';
import type { CollaborationDeps } from './requests.js';

export const REQUEST_GONE_TEXT =
  "This request no longer exists (its task may have been removed), so there's nothing to update. `/data-engineer requests` lists the open ones in this channel.";

/**
 * Acknowledge / Done on a ping. The stored record moves first; the message is then redrawn from it,
 * so the message always shows the stored state. Returns a note for the clicker when nothing changed.
 */
export async function advanceRequest(
  deps: CollaborationDeps,
  click: { teamId: string; requestId: number; userId: string; to: 'acknowledged' | 'done' },
): Promise<{ note?: string }> {
  const result = deps.collaboration.advance(click.teamId, click.requestId, click.to, click.userId);
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
  if (changed) return {};
  return {
    note:
      request.status === 'done'
        ? 'This request is already marked done.'
        : 'This request is already acknowledged; click *Done* when it is settled.',
  };
}

async function redraw(deps: CollaborationDeps, request: CollaborationRequest): Promise<void> {
  if (!request.pingTs || !request.owner) return;
  try {
    await deps.slack.updateBlocks(request.channelId, request.pingTs, pingMessage(request, request.owner));
  } catch (error) {
    deps.logger.warn('could not update a collaboration message', {
      teamId: request.teamId,
      requestId: request.id,
      error: describe(error),
    });
  }
}

const LIST_LIMIT = 20;

/** `/data-engineer requests`: the channel's open requests, oldest first, each linked to its thread. */
export function listOpenRequests(
  deps: CollaborationDeps,
  teamId: string,
  channelId: string,
  now = Date.now(),
): string {
  const { requests, total } = deps.collaboration.openInChannel(teamId, channelId, LIST_LIMIT);
  if (total === 0) return 'There are no open collaboration requests in this channel.';
  const lines = requests.map((r) => {
    const owner = r.owner ? mentionOf(r.owner) : '_no owner set_';
    const status = r.status === 'acknowledged' ? 'acknowledged' : 'open';
    const url = deps.slack.messageLink(r.channelId, r.pingTs ?? r.threadTs, r.threadTs);
    const link = url ? ` · <${url}|thread>` : '';
    return `• *${ROLE_LABELS[r.role]}* · ${inert(r.topic, 80)} · ${owner} · ${status} for ${age(now - r.createdAt)}${link}`;
  });
  const more = total > requests.length ? [`…and ${total - requests.length} more.`] : [];
  return [`*Open collaboration requests in this channel (${total}), oldest first:*`, ...lines, ...more].join(
    '\n',
  );
}
