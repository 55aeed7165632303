/**
 * The context of a mention in someone else's thread: that thread, read once and trimmed to a share of
 * the context budget, goes before the request in the task's first turn. Retention rewrites these lines
 * when a message of that thread is edited or deleted (contextLine, REQUEST_MARKER).
 */
import { slackTextToPlain } from '../../render/index.js';
import type { Task } from '../domain.js';
import { errorSummary } from '../errors.js';
import { THREAD_NOT_READ_TEXT } from '../messages.js';
import { estimateTokens } from './context-budget.js';
import type { TurnDeps } from './turn-deps.js';

/**
 * Share of MAX_CONTEXT_TOKENS a foreign thread may take as context. It lives in the first turn, which
 * is always kept, so it must leave room for the conversation that follows.
 */
const THREAD_CONTEXT_SHARE = 0.25;

const CONTEXT_INTRO = 'Earlier messages in this Slack thread, for context:';
/** Separates a first turn's thread context from the request itself. */
export const REQUEST_MARKER = '\n\nMy request: ';

/** How one message of a foreign thread appears in the context (also how an edit or deletion finds it). */
export function contextLine(userId: string | undefined, text: string): string {
  return `- ${userId ? `@${userId}` : 'someone'}: ${slackTextToPlain(text)}`;
}

/**
 * A mention in someone else's thread: that thread, read once, goes before the request in the first
 * turn. A job run again after a crash finds the context already there and does not read it twice.
 */
export async function addThreadContext(
  deps: TurnDeps,
  task: Task & { threadTs: string },
  mentionTs: string,
): Promise<void> {
  const first = await deps.store.firstTurn(task.teamId, task.id);
  if (!first || first.content.startsWith(CONTEXT_INTRO)) return;
  const content = await withThreadContext(deps, task, mentionTs, first.content);
  if (content !== first.content) await deps.store.setTurnContent(task.teamId, first.id, content);
}

/** Reads the thread the bot was mentioned in, once, and puts it before the request. */
async function withThreadContext(
  deps: TurnDeps,
  task: Task,
  mentionTs: string,
  request: string,
): Promise<string> {
  try {
    const history = await deps.slack.readThread(task.channelId, task.threadTs ?? mentionTs, mentionTs);
    // Up to the mention: later replies in the thread are follow-ups, answered as turns of their own.
    const lines = history
      .filter((m) => tsBefore(m.ts, mentionTs) && m.text.trim() !== '' && !m.isBot)
      .map((m) => contextLine(m.userId, m.text));
    const kept = newestWithin(lines, Math.floor(deps.contextBudgetTokens * THREAD_CONTEXT_SHARE));
    if (kept.length === 0) return request;
    return `${CONTEXT_INTRO}\n${kept.join('\n')}${REQUEST_MARKER}${request}`;
  } catch (error) {
    deps.logger.warn('could not read the thread for context', {
      teamId: task.teamId,
      error: errorSummary(error),
    });
    await deps.slack.postEphemeral(
      task.channelId,
      task.requesterId,
      THREAD_NOT_READ_TEXT,
      task.threadTs ?? undefined,
    );
    return request;
  }
}

/**
 * The thread's lines that fit in `budgetTokens`, newest kept first (those right before the mention
 * matter most); the thread's first message, which usually states the problem, is kept when it fits,
 * with a note saying how many messages in between were left out.
 */
export function newestWithin(lines: readonly string[], budgetTokens: number): string[] {
  const first = lines[0];
  if (first === undefined) return [];
  const note = (n: number) => `- (${n} earlier messages left out)`;
  const reserved = estimateTokens(first) + estimateTokens(note(lines.length));
  const kept: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 1; i--) {
    const cost = estimateTokens(lines[i] ?? '');
    if (used + cost + reserved > budgetTokens) {
      const omitted = i; // lines 1..i are left out
      return reserved <= budgetTokens ? [first, note(omitted), ...kept] : kept;
    }
    kept.unshift(lines[i] ?? '');
    used += cost;
  }
  return [first, ...kept];
}

/** Slack timestamps ("1700000000.000100") compared exactly: seconds, then the sequence part. */
function tsBefore(a: string, b: string): boolean {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  if (as.length !== bs.length || as !== bs) return Number(as) < Number(bs);
  return af.padEnd(6, '0') < bf.padEnd(6, '0');
}
