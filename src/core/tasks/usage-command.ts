import type { DigestStore } from '../digest/digest-facts.js';
import type { Usage } from '../domain.js';
import type { FeedbackCounts, FeedbackStore } from '../feedback/feedback.js';
import { estimateCostUsd, hasKnownPrice } from '../pricing.js';
import { defineSubCommand, inAck } from '../sub-command.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const WINDOWS = [7, 30] as const;

/**
 * `/data-engineer usage`: this channel's tasks, Claude tokens and estimated cost for the last 7 and 30
 * days, shown to the asker only. The figures are the digest's (tasks asked in the period; tokens of the
 * answers written in it, per model, priced with src/core/pricing.ts), scoped by workspace and channel.
 */
export const usageSubCommand = defineSubCommand<
  { kind: 'usage' },
  { digests: Pick<DigestStore, 'digestFacts'>; feedback: Pick<FeedbackStore, 'feedbackCounts'> }
>({
  name: 'usage',
  usage: [
    '`/data-engineer usage` shows this channel’s tasks, Claude tokens, estimated cost and 👍/👎 on answers for the last 7 and 30 days',
  ],
  parse: (args) => (args.length === 0 ? { kind: 'usage' } : undefined),
  run: (deps, { teamId, channelId }) => inAck(usageText(deps, teamId, channelId)),
});

async function usageText(
  deps: { digests: Pick<DigestStore, 'digestFacts'>; feedback: Pick<FeedbackStore, 'feedbackCounts'> },
  teamId: string,
  channelId: string,
): Promise<string> {
  const now = Date.now();
  const lines = await Promise.all(
    WINDOWS.map(async (days) => {
      // Lists are not shown: only the totals (limit 0 reads counts and sums).
      const facts = await deps.digests.digestFacts(teamId, channelId, now - days * DAY_MS, now, 0);
      const votes = await deps.feedback.feedbackCounts(teamId, channelId, now - days * DAY_MS);
      return `• *Last ${days} days:* ${windowText(facts.asked.total, facts.usageByModel)} · ${feedbackText(votes)}`;
    }),
  );
  return [
    `*Claude usage in <#${channelId}>*`,
    ...lines,
    '_Estimated from list prices; tokens include cache reads and writes. Only you can see this._',
  ].join('\n');
}

function windowText(tasks: number, usageByModel: { model: string; usage: Usage }[]): string {
  const sum = (pick: (u: Usage) => number) => usageByModel.reduce((n, row) => n + pick(row.usage), 0);
  const input = sum((u) => u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens);
  const output = sum((u) => u.outputTokens);
  const priced = usageByModel.filter((row) => hasKnownPrice(row.model));
  const cost = priced.reduce((n, row) => n + estimateCostUsd(row.model, row.usage), 0);
  const unpriced = priced.length < usageByModel.length ? ' (some models have no known price)' : '';
  return `${count(tasks, 'task')} · ${count(input + output, 'token')} (${number(input)} input, ${number(output)} output) · ${dollars(cost)}${unpriced}`;
}

/** The answers' 👍/👎 in the period (votes cast or changed in it, each person's latest). */
function feedbackText(votes: FeedbackCounts): string {
  return `feedback 👍 ${number(votes.up)} · 👎 ${number(votes.down)}`;
}

const number = (n: number) => n.toLocaleString('en-US');
const count = (n: number, noun: string) => `${number(n)} ${noun}${n === 1 ? '' : 's'}`;

/** `~$1,234.57`; a cost that rounds to nothing says so rather than "$0.00". */
function dollars(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return 'under $0.01';
  return `~$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
