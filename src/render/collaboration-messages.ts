import type { CollaborationRequest, CollaborationRole, OwnerRef } from '../core/domain.js';
import { neutraliseMentions } from './sanitise.js';
import { truncateForSlack } from './split-markdown.js';
import { age, slackDate } from './time-text.js';

/**
 * The messages of a collaboration request, composed by the bot. The owner's mention is the only live
 * mention in them; the topic, request and reason come from the model and are escaped and neutralised,
 * so they can neither ping anyone nor form links.
 */

export const ACKNOWLEDGE_ACTION = 'collaboration_acknowledge';
export const DONE_ACTION = 'collaboration_done';

export const ROLE_LABELS: Record<CollaborationRole, string> = {
  backend: 'Backend',
  devops: 'DevOps',
  security: 'Security',
  qa: 'QA',
};

/** What each role is asked about, as the seed defines the collaboration points. */
export const ROLE_SUBJECTS: Record<CollaborationRole, string> = {
  backend: 'API data contracts',
  devops: 'infrastructure',
  security: 'encryption and access control',
  qa: 'data validation testing',
};

export function mentionOf(owner: OwnerRef): string {
  return owner.kind === 'user' ? `<@${owner.id}>` : `<!subteam^${owner.id}>`;
}

/** Model text made inert for mrkdwn: no `<…>` tokens, no broadcasts, bounded length. */
export function inert(text: string, max: number): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return neutraliseMentions(truncateForSlack(escaped.replace(/\s+/g, ' ').trim(), max));
}

function statusLine(request: CollaborationRequest): string {
  if (request.status === 'done' && request.doneBy && request.doneAt)
    return `:white_check_mark: Done — marked by <@${request.doneBy}> ${slackDate(request.doneAt)}`;
  if (request.status === 'acknowledged' && request.acknowledgedBy && request.acknowledgedAt)
    return `:eyes: Acknowledged by <@${request.acknowledgedBy}> ${slackDate(request.acknowledgedAt)}`;
  return ':hourglass_flowing_sand: Open — click *Acknowledge* when you pick it up and *Done* when it is settled.';
}

function button(text: string, actionId: string, requestId: number, primary: boolean) {
  return {
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: actionId,
    value: String(requestId),
    ...(primary ? { style: 'primary' } : {}),
  };
}

/** The ping: owner, role, topic and the concrete request, with Acknowledge / Done buttons. */
export function pingMessage(
  request: CollaborationRequest,
  owner: OwnerRef,
): { text: string; blocks: unknown[] } {
  const role = ROLE_LABELS[request.role];
  const topic = inert(request.topic, 150);
  const blocks: unknown[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:handshake: ${mentionOf(owner)} — *${role}* input needed (${ROLE_SUBJECTS[request.role]}): *${topic}*`,
      },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Request:* ${inert(request.request, 1500)}\n*Why:* ${inert(request.reason, 800)}`,
      },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: statusLine(request) }] },
  ];
  const buttons = [];
  if (request.status === 'open') buttons.push(button('Acknowledge', ACKNOWLEDGE_ACTION, request.id, true));
  if (request.status !== 'done') buttons.push(button('Done', DONE_ACTION, request.id, false));
  if (buttons.length > 0)
    blocks.push({ type: 'actions', block_id: `collaboration_${request.id}`, elements: buttons });
  return { text: `${mentionOf(owner)}: ${role} input needed on “${topic}” in this thread.`, blocks };
}

/** Posted in the thread when the agent needs a role nobody owns yet. */
export function noOwnerText(request: CollaborationRequest): string {
  const role = ROLE_LABELS[request.role];
  return [
    `:busts_in_silhouette: This needs a *${role}* owner (${ROLE_SUBJECTS[request.role]}): *${inert(request.topic, 150)}*`,
    `*Request:* ${inert(request.request, 1500)}`,
    `No ${request.role} owner is set for this channel yet. A workspace admin can set one with \`/data-engineer owners set ${request.role} @someone\` (add \`--channel\` for this channel only), and I'll ping them here.`,
  ].join('\n');
}

/**
 * Posted in the thread instead of a ping when the owner is not in this conversation (a DM, or a
 * channel they are not in): a ping there would reach no one, and the topic must not leave it.
 */
export function ownerNotHereText(request: CollaborationRequest): string {
  const role = ROLE_LABELS[request.role];
  const who =
    request.owner?.kind === 'group' ? `No one in the ${role} owner group is` : `The ${role} owner isn't`;
  return [
    `:lock: This needs *${role}* input (${ROLE_SUBJECTS[request.role]}): *${inert(request.topic, 150)}*`,
    `${who} in this conversation, so I haven't pinged them. Invite them here first (\`/invite\`), then reply in this thread and I'll ping them. In a direct message, ask in a channel they are in instead.`,
  ].join('\n');
}

/** Slack could not say whether the owner is in the conversation (an error, a missing scope). */
export function ownerUncheckedText(request: CollaborationRequest): string {
  const role = ROLE_LABELS[request.role];
  return [
    `:warning: This needs *${role}* input (${ROLE_SUBJECTS[request.role]}): *${inert(request.topic, 150)}*`,
    `I couldn't check with Slack whether the ${role} owner is in this conversation, so I haven't pinged them yet. Make sure they are here (\`/invite\`), then reply in this thread and I'll try again. If this keeps happening, ask a workspace admin to check the app's permissions (it may need reinstalling).`,
  ].join('\n');
}

export const REQUEST_GONE_TEXT =
  "This request no longer exists (its task may have been removed), so there's nothing to update. `/data-engineer requests` lists the open ones in this channel.";

/** Acknowledge or Done pressed on a request that had moved on already. */
export function requestUnchangedText(done: boolean): string {
  return done
    ? 'This request is already marked done.'
    : 'This request is already acknowledged; click *Done* when it is settled.';
}

/** `/data-engineer requests`: one line per open request, oldest first, each linked to its thread. */
export function openRequestsText(
  requests: readonly CollaborationRequest[],
  total: number,
  linkOf: (request: CollaborationRequest) => string | undefined,
  now: number,
): string {
  if (total === 0) return 'There are no open collaboration requests in this channel.';
  const lines = requests.map((r) => {
    const owner = r.owner ? mentionOf(r.owner) : '_no owner set_';
    const status = r.status === 'acknowledged' ? 'acknowledged' : 'open';
    const url = linkOf(r);
    const link = url ? ` · <${url}|thread>` : '';
    return `• *${ROLE_LABELS[r.role]}* · ${inert(r.topic, 80)} · ${owner} · ${status} for ${age(now - r.createdAt)}${link}`;
  });
  const more = total > requests.length ? [`…and ${total - requests.length} more.`] : [];
  return [`*Open collaboration requests in this channel (${total}), oldest first:*`, ...lines, ...more].join(
    '\n',
  );
}

export const ANSWER_CHECK_FAILED_TEXT =
  "I couldn't check with Slack whether you may update this request just now. Please try again in a moment.";

/** Someone else pressed Acknowledge or Done. */
export function mayNotAnswerText(request: CollaborationRequest, to: 'acknowledged' | 'done'): string {
  const owner =
    request.owner?.kind === 'group'
      ? `a member of the ${ROLE_LABELS[request.role]} owner group`
      : `the ${ROLE_LABELS[request.role]} owner`;
  const verb = to === 'done' ? 'mark this request done' : 'acknowledge this request';
  return `Sorry, only ${owner}, the person who asked for this task, or a workspace admin can ${verb}.`;
}

/** The thread's line when a request is marked done, naming who did it (never a mention). */
export function requestDoneText(name: string, request: CollaborationRequest): string {
  return `:white_check_mark: ${inert(name, 80)} marked the *${ROLE_LABELS[request.role]}* request “${inert(request.topic, 150)}” done.`;
}
