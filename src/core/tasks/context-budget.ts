import type { Turn } from '../domain.js';

/**
 * Keeps a model request within a token budget on long threads. Always kept: the original task (the
 * first turn), the agent's latest solution (the last assistant turn) and the newest turns; the middle
 * is dropped and replaced by a one-line note so the model knows something is missing.
 *
 * Tokens are estimated at one per 3.5 characters plus a few per turn — deliberately above what
 * Claude's tokenizer counts for English prose and code (about one per 4), so the real request stays
 * inside the budget without a count_tokens round trip on every turn.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5) + 4;
}

export function conversationTokens(turns: readonly Turn[]): number {
  return turns.reduce((sum, turn) => sum + estimateTokens(turn.content), 0);
}

export interface FittedConversation {
  turns: Turn[];
  /** How many stored turns were left out (0 when everything fit). */
  dropped: number;
}

/**
 * When trimming, aim below the budget so the next several turns fit without trimming again: the
 * kept prefix then stays byte-identical and keeps being served from the prompt cache.
 */
const TRIM_TARGET = 0.75;

export function fitConversation(turns: readonly Turn[], budgetTokens: number): FittedConversation {
  if (turns.length <= 2 || conversationTokens(turns) <= budgetTokens)
    return { turns: [...turns], dropped: 0 };
  const target = Math.floor(budgetTokens * TRIM_TARGET);
  const first = 0;
  const latestAnswer = turns.findLastIndex((turn, i) => i > first && turn.role === 'assistant');
  const keep = new Set<number>([first]);
  let used = estimateTokens(turns[first]?.content ?? '') + estimateTokens(omittedNote(turns.length));
  if (latestAnswer > 0) {
    keep.add(latestAnswer);
    used += estimateTokens(turns[latestAnswer]?.content ?? '');
  }
  for (let i = turns.length - 1; i > first; i--) {
    if (keep.has(i)) continue;
    const cost = estimateTokens(turns[i]?.content ?? '');
    // Newest first; the very last turn (the question being answered) is always kept.
    if (used + cost > target && i !== turns.length - 1) break;
    keep.add(i);
    used += cost;
  }
  const kept = [...keep].sort((a, b) => a - b);
  const dropped = turns.length - kept.length;
  const fitted: Turn[] = [];
  for (const index of kept) {
    const turn = turns[index];
    if (!turn) continue;
    fitted.push(turn);
    if (index === first && dropped > 0) fitted.push({ role: 'user', content: omittedNote(dropped) });
  }
  return { turns: fitted, dropped };
}

function omittedNote(count: number): string {
  return `[${count} earlier messages of this thread are left out here to keep the conversation within its length budget. The original task is above; the newest messages and your latest solution follow.]`;
}
