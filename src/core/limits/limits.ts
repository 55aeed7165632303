/**
 * Why this file exists: every command and every reply in a bot thread becomes a Claude call, so one
 * person could starve everyone else or run up the bill. Two limits are read from the database, so a
 * restart never resets them: a person's new tasks and follow-ups in the last hour (USER_TASKS_PER_HOUR),
 * and the Claude tokens the workspace used today, UTC (DAILY_TOKEN_BUDGET). New tasks, follow-ups and
 * retries are checked where they are stored, in the transaction that stores them (TaskAdmission throws
 * OverLimit), so nothing over a limit is stored, requests arriving together cannot pass together, and
 * the ack path reads the limits once. A message that shares files is also checked before
 * (UsageLimits.check, one indexed query): its files are recorded before its task or reply.
 */

import { budgetSpentText, personLimitText } from '../messages.js';

export const HOUR_MS = 3_600_000;

export interface LimitSettings {
  /** 0 = no per-person limit. */
  userTasksPerHour: number;
  /** undefined = no budget. */
  dailyTokenBudget: number | undefined;
}

export interface LimitFacts {
  /**
   * When the person's `offset + 1`-th most recent message in the window was stored, if they have that
   * many: they are at the limit, and may ask again an hour after it.
   */
  limitHitAt: number | undefined;
  /** Tokens the workspace used on `day`. */
  tokensToday: number;
  /** This very message was stored already (a redelivery, or the app_mention/message twin): not refused. */
  alreadyStored: boolean;
}

export interface LimitStore {
  limitFacts(
    teamId: string,
    userId: string,
    query: { since: number; offset: number; day: string; channelId: string | null; slackTs: string | null },
  ): Promise<LimitFacts>;
}

export type LimitRefusal =
  | { kind: 'person'; limit: number; retryAt: number }
  | { kind: 'budget'; budget: number; used: number; resetsAt: number };

/**
 * Thrown by TaskAdmission (a new task, a reply, a retry) when storing the work would pass a limit: the
 * person's USER_TASKS_PER_HOUR or the workspace's DAILY_TOKEN_BUDGET, both counted inside the
 * transaction that stores it (so requests arriving together cannot pass together). Nothing was stored.
 */
export class OverLimit extends Error {
  constructor(readonly refusal: LimitRefusal) {
    super(refusal.kind === 'person' ? 'over the hourly task limit' : 'over the daily token budget');
    this.name = 'OverLimit';
  }
}

/** The refusal when the workspace has used its daily budget by `now`, else undefined. */
export function budgetRefusal(
  budget: number | undefined,
  tokensToday: number,
  now: number,
): LimitRefusal | undefined {
  if (budget === undefined || tokensToday < budget) return undefined;
  const resetsAt = Date.parse(`${utcDay(now)}T00:00:00Z`) + 24 * HOUR_MS;
  return { kind: 'budget', budget, used: tokensToday, resetsAt };
}

/**
 * The refusal when the person is at USER_TASKS_PER_HOUR: `hitAt` is when their `perHour`-th newest
 * admission in the last hour was made (undefined when they have fewer); they may ask again an hour after.
 */
export function hourlyRefusal(perHour: number, hitAt: number | undefined): LimitRefusal | undefined {
  if (perHour <= 0 || hitAt === undefined) return undefined;
  return { kind: 'person', limit: perHour, retryAt: hitAt + HOUR_MS };
}

/** The UTC day of `ms` as YYYY-MM-DD (the budget's day). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class UsageLimits {
  constructor(
    private readonly store: LimitStore,
    private readonly settings: LimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A refusal when this person may not start a task or send a follow-up now; undefined when they may.
   * `message`: a Slack message's channel and ts, so a second delivery of a stored message (a retry, or the
   * app_mention/message twin) is let through to the usual de-duplication.
   */
  async check(
    teamId: string,
    userId: string,
    message?: { channelId: string; ts: string },
  ): Promise<LimitRefusal | undefined> {
    const { userTasksPerHour: perHour, dailyTokenBudget: budget } = this.settings;
    if (perHour === 0 && budget === undefined) return undefined;
    const now = this.now();
    const facts = await this.store.limitFacts(teamId, userId, {
      since: now - HOUR_MS,
      // With no per-person limit, an offset nobody reaches keeps it to the same single query.
      offset: perHour === 0 ? Number.MAX_SAFE_INTEGER : perHour - 1,
      day: utcDay(now),
      channelId: message?.channelId ?? null,
      slackTs: message?.ts ?? null,
    });
    if (facts.alreadyStored) return undefined;
    const overBudget = budgetRefusal(budget, facts.tokensToday, now);
    if (overBudget) return overBudget;
    return hourlyRefusal(perHour, facts.limitHitAt);
  }
}

/** What the person is told, privately. */
export function limitRefusalText(refusal: LimitRefusal, now = Date.now()): string {
  return refusal.kind === 'person'
    ? personLimitText(refusal.limit, refusal.retryAt, now)
    : budgetSpentText(refusal.budget, refusal.resetsAt);
}
