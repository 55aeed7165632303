import type { DigestTask } from '../core/digest/digest-facts.js';
import {
  COLLABORATION_ROLES,
  type CollaborationRequest,
  type CollaborationRole,
  type OwnerAssignment,
} from '../core/domain.js';
import { inert, mentionOf, ROLE_LABELS, ROLE_SUBJECTS } from './collaboration-messages.js';
import type { LinkTo } from './digest-messages.js';
import { age } from './time-text.js';

const STATE: Record<DigestTask['status'], string> = {
  queued: ':hourglass: queued',
  running: ':writing_hand: being answered',
  waiting_for_answers: ':question: waiting for your answers',
  done: ':white_check_mark: answered',
  failed: ':warning: failed — reply `retry` in its thread',
};

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

function linked(title: string, url: string | undefined): string {
  const safe = inert(title, 80).replace(/\|/g, '/');
  return url ? `<${url}|${safe}>` : safe;
}

interface HomeInput {
  userId: string;
  tasks: DigestTask[];
  requests: CollaborationRequest[];
  owners: Map<CollaborationRole, OwnerAssignment>;
  link: LinkTo;
  now: number;
  /** Data-quality checks they adopted (in conversations they are in). */
  checks?: HomeCheck[];
}

export interface HomeCheck {
  name: string;
  channelId: string;
  threadTs: string;
  state: 'active' | 'paused';
  /** The latest verdict's status ('unknown' before the first run). */
  status: 'unknown' | 'passing' | 'failing';
}

const CHECK_STATE = { unknown: '⏳ no run yet', passing: '✅ passing', failing: '🔴 failing' } as const;

function checkLines(input: HomeInput): string[] {
  return (input.checks ?? []).map(
    (c) =>
      `• <${input.link(c.channelId, c.threadTs)}|\`${c.name}\`> in <#${c.channelId}> — ${c.state === 'paused' ? '⏸ paused' : CHECK_STATE[c.status]}`,
  );
}

/** Questions the bot asked them, and requests they own that are not done. */
function waitingOnYou(input: HomeInput): string[] {
  const waiting = input.tasks.filter((t) => t.status === 'waiting_for_answers');
  return [
    ...waiting.map(
      (t) =>
        `• ${linked(t.title, t.threadTs ? input.link(t.channelId, t.threadTs) : undefined)} — I asked you a few questions`,
    ),
    ...input.requests.map(
      (r) =>
        `• *${ROLE_LABELS[r.role]}*: ${linked(r.topic, input.link(r.channelId, r.pingTs ?? r.threadTs, r.threadTs))} — ${r.status} for ${age(input.now - r.createdAt)}`,
    ),
  ];
}

function recentTasks(input: HomeInput): string[] {
  return input.tasks.map(
    (t) =>
      `• ${linked(t.title, t.threadTs ? input.link(t.channelId, t.threadTs) : undefined)} — ${STATE[t.status]}`,
  );
}

function ownerLines(owners: HomeInput['owners']): string[] {
  return COLLABORATION_ROLES.map((role) => {
    const owner = owners.get(role);
    return `• *${ROLE_LABELS[role]}* (${ROLE_SUBJECTS[role]}): ${owner ? mentionOf(owner) : '_not set_'}`;
  });
}

/** The Home tab's blocks (a `home` view). Titles and topics are user or model text, made inert. */
export function homeView(input: HomeInput): { type: 'home'; blocks: unknown[] } {
  const onYou = waitingOnYou(input);
  const recent = recentTasks(input);
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Data Engineer' } },
      section(
        'A senior data engineer in your Slack. Type `/data-engineer <task>` in a channel (e.g. `/data-engineer design a pipeline for user analytics`), mention me with a task, or send me a direct message. I answer in a thread with the architecture, an implementation plan, quality checks and working SQL or config.',
      ),
      { type: 'divider' },
      section(`*Waiting on you*\n${onYou.length > 0 ? onYou.join('\n') : 'Nothing right now.'}`),
      section(
        `*Your recent tasks*\n${recent.length > 0 ? recent.join('\n') : 'None yet — try `/data-engineer help`.'}`,
      ),
      ...((input.checks?.length ?? 0) > 0
        ? [section(`*Your scheduled checks*\n${checkLines(input).join('\n')}`)]
        : []),
      { type: 'divider' },
      section(
        `*Who I ping for other disciplines (workspace defaults)*\n${ownerLines(input.owners).join('\n')}`,
      ),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: '`/data-engineer owners` shows a channel’s owners · `/data-engineer requests` lists its open requests · `/data-engineer digest` shows its daily digest',
          },
        ],
      },
    ],
  };
}
