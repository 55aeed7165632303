import type { DigestFacts, DigestTask, Listed } from '../core/digest/digest-facts.js';
import type { CollaborationRequest, CollaborationRole, Usage } from '../core/domain.js';
import { estimateCostUsd, hasKnownPrice } from '../core/pricing.js';
import { inert, ROLE_LABELS } from './collaboration-messages.js';
import { age, slackDate } from './time-text.js';

/**
 * A channel's digest as Slack messages: one parent with the headline figures (and the optional
 * highlights), then the details in its thread. Every figure comes from DigestFacts; titles and topics
 * are user or model text and are made inert. Lists show their first items and "and N more", and each
 * message stays far below Slack's limits however busy the channel was.
 */

export type LinkTo = (channelId: string, ts: string, threadTs?: string) => string | undefined;

/**
 * How a digest names a person or group: plain text (a looked-up display name, or the role), never a
 * `<@U…>` or `<!subteam^…>` mention. A digest is a report, not a page.
 */
export type NameOf = (who: { kind: 'user' | 'group'; id: string; role?: CollaborationRole }) => string;

/** Each detail message stays under this (Slack allows 40,000; a section block shows 3,000). */
const MAX_MESSAGE_CHARS = 3_500;

export function digestParent(facts: DigestFacts, dayLabel: string, highlights?: string): string {
  const figures = [
    `*${facts.asked.total}* asked`,
    `*${facts.answered.total}* answered`,
    `*${facts.failed.total}* failed`,
    `*${facts.waiting.total}* waiting for answers`,
    `*${facts.openRequests.total}* open collaboration request${facts.openRequests.total === 1 ? '' : 's'}`,
  ];
  const cost = totalCost(facts.usageByModel);
  if (cost !== undefined) figures.push(`~$${cost.toFixed(2)} Claude usage`);
  const votes = facts.feedback;
  if (votes && votes.up + votes.down > 0) figures.push(`👍 ${votes.up} · 👎 ${votes.down} on answers`);
  const checks = facts.checks;
  if (checks && checks.runs + checks.errors > 0) {
    const share =
      checks.runs > 0
        ? `${Math.floor((checks.passed / checks.runs) * 1000) / 10}% of ${checks.runs} check runs passed`
        : 'no check run judged the data';
    figures.push(`${share}${checks.failing.length > 0 ? `, *${checks.failing.length}* failing now` : ''}`);
  }
  return [
    `:bar_chart: *Data engineering digest for <#${facts.channelId}>* — ${dayLabel}`,
    figures.join(' · '),
    ...(highlights ? ['', inert(highlights, 900)] : []),
    '_Details in the thread._',
  ].join('\n');
}

export function digestDetails(facts: DigestFacts, link: LinkTo, now: number, nameOf: NameOf): string[] {
  // Tasks asked in the period show their state; tasks asked earlier that finished now are listed apart,
  // so no task appears twice.
  const askedIds = new Set(facts.asked.items.map((task) => task.id));
  const earlier = (list: Listed<DigestTask>): Listed<DigestTask> => {
    const items = list.items.filter((task) => !askedIds.has(task.id));
    return { total: list.total - (list.items.length - items.length), items };
  };
  const messages = [
    taskSection('Asked', facts.asked, link, (task) => ` — ${STATE[task.status]}`),
    taskSection('Answered (asked earlier)', earlier(facts.answered), link),
    taskSection('Failed (asked earlier)', earlier(facts.failed), link),
    waitingSection(facts.waiting, link, now, nameOf),
    requestsSection(facts.openRequests, link, now, nameOf),
    checksSection(facts.checks),
    usageSection(facts.usageByModel),
  ];
  return messages.filter((m): m is string => m !== undefined).map(fitToSlack);
}

function taskLink(task: DigestTask, link: LinkTo): string {
  const title = inert(task.title, 80).replace(/\|/g, '/');
  const url = task.threadTs ? link(task.channelId, task.threadTs) : undefined;
  return url ? `<${url}|${title}>` : title;
}

function more(list: Listed<unknown>, hint = ''): string[] {
  const rest = list.total - list.items.length;
  return rest > 0 ? [`…and ${rest} more${hint}.`] : [];
}

const STATE: Record<DigestTask['status'], string> = {
  queued: 'queued',
  running: 'in progress',
  waiting_for_answers: 'waiting for answers',
  done: 'answered',
  failed: 'failed (reply `retry` in its thread)',
};

function taskSection(
  name: string,
  list: Listed<DigestTask>,
  link: LinkTo,
  suffix: (task: DigestTask) => string = () => '',
): string | undefined {
  if (list.total <= 0) return undefined;
  return [
    `*${name} (${list.total})*`,
    ...list.items.map((task) => `• ${taskLink(task, link)}${suffix(task)}`),
    ...more(list),
  ].join('\n');
}

function waitingSection(
  list: Listed<DigestTask>,
  link: LinkTo,
  now: number,
  nameOf: NameOf,
): string | undefined {
  if (list.total === 0) return undefined;
  return [
    `*Waiting for answers to my questions (${list.total})*, oldest first`,
    ...list.items.map(
      (task) =>
        `• ${taskLink(task, link)} — waiting on ${inert(nameOf({ kind: 'user', id: task.requesterId }), 80)} for ${age(now - task.at)}`,
    ),
    ...more(list),
  ].join('\n');
}

function requestsSection(
  list: Listed<CollaborationRequest>,
  link: LinkTo,
  now: number,
  nameOf: NameOf,
): string | undefined {
  if (list.total === 0) return undefined;
  return [
    `*Open collaboration requests (${list.total})*, oldest first`,
    ...list.items.map((r) => {
      const owner = r.owner ? inert(nameOf({ ...r.owner, role: r.role }), 80) : '_no owner set_';
      const url = link(r.channelId, r.pingTs ?? r.threadTs, r.threadTs);
      const topic = inert(r.topic, 80).replace(/\|/g, '/');
      const status = r.status === 'acknowledged' ? 'acknowledged' : 'open';
      return `• *${ROLE_LABELS[r.role]}* · ${url ? `<${url}|${topic}>` : topic} · ${owner} · ${status} for ${age(now - r.createdAt)}`;
    }),
    ...more(list, ' (`/data-engineer requests` lists them all)'),
  ].join('\n');
}

/** The channel's data-quality checks: what is failing now, how the period's runs went, how fresh. */
function checksSection(checks: DigestFacts['checks']): string | undefined {
  if (!checks) return undefined;
  const judged =
    checks.runs > 0
      ? `${checks.passed} of ${checks.runs} runs passed (${Math.floor((checks.passed / checks.runs) * 1000) / 10}%)`
      : 'no run judged the data';
  const lines = [
    `*Data-quality checks* (${checks.total} in this channel): ${judged}${checks.errors > 0 ? `; ${checks.errors} could not query the source` : ''}.`,
    ...checks.failing.map(
      (f) => `• 🔴 \`${f.name}\` failing (run of ${slackDate(f.slotAt)}): returned ${inert(f.observed, 80)}`,
    ),
    checks.lastRunAt ? `Latest run finished ${slackDate(checks.lastRunAt)}.` : 'No run has finished yet.',
  ];
  return lines.join('\n');
}

function usageSection(rows: DigestFacts['usageByModel']): string | undefined {
  if (rows.length === 0) return undefined;
  return [
    '*Claude usage*',
    ...rows.map(({ model, usage }) => {
      const input = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
      const cached = input > 0 ? Math.round((usage.cacheReadTokens / input) * 100) : 0;
      const cost = hasKnownPrice(model) ? `~$${estimateCostUsd(model, usage).toFixed(2)}` : 'price unknown';
      return `• \`${model}\`: ${tokens(input)} input tokens (${cached}% from cache), ${tokens(usage.outputTokens)} output · ${cost}`;
    }),
  ].join('\n');
}

function totalCost(rows: { model: string; usage: Usage }[]): number | undefined {
  const priced = rows.filter((r) => hasKnownPrice(r.model));
  if (priced.length === 0) return undefined;
  return priced.reduce((sum, r) => sum + estimateCostUsd(r.model, r.usage), 0);
}

function tokens(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  return n.toLocaleString('en-US');
}

/** Drops whole lines from the end (never cutting a link) until the message fits. */
function fitToSlack(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  const lines = message.split('\n');
  while (lines.join('\n').length > MAX_MESSAGE_CHARS - 40) lines.pop();
  return `${lines.join('\n')}\n…(shortened to fit Slack)`;
}

/** How a digest names an owner group (never a mention). */
export function ownerGroupName(roleLabel: string | undefined): string {
  return `the ${roleLabel ? `${roleLabel} ` : ''}owner group`;
}

export function nothingToReportText(channelId: string): string {
  return `Nothing to report in <#${channelId}> for the last 24 hours: no tasks, no questions waiting and no open requests.`;
}

export function digestPostedText(channelId: string): string {
  return `Posted the digest for the last 24 hours in <#${channelId}>.`;
}

export function digestNotPostedText(slackCode: string | undefined): string {
  return `I couldn't post the digest${slackCode ? ` (Slack said \`${slackCode}\`)` : ''}. Please try again in a moment.`;
}

/** "Thu 26 Nov", in the channel's zone; a weekly reminder says that nothing is new. */
export function digestDayLabel(at: Date, timeZone: string, reminder: boolean): string {
  const day = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
  }).format(at);
  return `${day}${reminder ? ' · weekly reminder: nothing new, these are still open' : ''}`;
}
