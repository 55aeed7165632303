import { createHash } from 'node:crypto';
import type { CollaborationRequest, TaskStatus, Usage } from '../domain.js';
import type { FeedbackCounts } from '../feedback/feedback.js';

/** Everything a channel's digest says, read from the database (never from the model). */

export interface DigestTask {
  id: number;
  title: string;
  status: TaskStatus;
  channelId: string;
  threadTs: string | null;
  requesterId: string;
  /** When it entered the state it is listed under (asked, answered, failed, waiting). */
  at: number;
}

/** A list cut to its first items, with the full count for "and N more". */
export interface Listed<T> {
  total: number;
  items: T[];
}

export interface DigestFacts {
  channelId: string;
  from: number;
  to: number;
  asked: Listed<DigestTask>;
  answered: Listed<DigestTask>;
  failed: Listed<DigestTask>;
  /** Tasks waiting for answers to the agent's questions, whenever they were asked, oldest first. */
  waiting: Listed<DigestTask>;
  /** Collaboration requests not done yet, oldest first. */
  openRequests: Listed<CollaborationRequest>;
  /** Every standing item, not only the listed ones: what "changed since the last digest" compares. */
  standing: StandingItems;
  usageByModel: { model: string; usage: Usage }[];
  /** 👍/👎 on the channel's answers cast or changed in the period (each person's latest vote). */
  feedback?: FeedbackCounts;
  /** The channel's scheduled data-quality checks (absent when it has none). */
  checks?: CheckDigest;
}

/** The quality monitor's figures for a digest: runs in the period, and what is failing now. */
export interface CheckDigest {
  /** Checks adopted in the channel (paused ones included). */
  total: number;
  /** Runs in the period that judged the data, and how many of them passed. */
  runs: number;
  passed: number;
  /** Runs in the period that could not query (timeout, source down). */
  errors: number;
  /** Checks failing now (their latest verdict), with that run's slot and what it returned. */
  failing: { name: string; slotAt: number; observed: string }[];
  /** The newest finished run of any of the channel's checks: how fresh the figures are. */
  lastRunAt?: number;
}

/** The ids (and request states) of all waiting tasks and open requests of a channel. */
export interface StandingItems {
  waitingTaskIds: number[];
  openRequests: { id: number; status: string; ownerKind: string | null; ownerId: string | null }[];
}

export function isEmptyDigest(facts: DigestFacts): boolean {
  return (
    facts.asked.total +
      facts.answered.total +
      facts.failed.total +
      facts.waiting.total +
      facts.openRequests.total +
      (facts.checks?.runs ?? 0) +
      (facts.checks?.errors ?? 0) +
      (facts.checks?.failing.length ?? 0) ===
    0
  );
}

/** Something happened in the period (asked, answered, failed), beyond the items still standing. */
export function hasNews(facts: DigestFacts): boolean {
  return facts.asked.total + facts.answered.total + facts.failed.total + (facts.checks?.runs ?? 0) > 0;
}

/**
 * All of the digest's standing items (tasks waiting for answers, open requests with their state and
 * owner) hashed into a short comparable form: equal fingerprints mean nothing about them changed since
 * that digest, however many there are (not only the listed ones).
 */
export function standingFingerprint(facts: DigestFacts): string {
  const waiting = [...facts.standing.waitingTaskIds].sort((a, b) => a - b).join(',');
  const requests = [...facts.standing.openRequests]
    .sort((a, b) => a.id - b.id)
    .map((r) => `${r.id}${r.status[0]}${r.ownerKind ? `${r.ownerKind[0]}${r.ownerId}` : '-'}`)
    .join(',');
  const hash = createHash('sha256').update(`w:${waiting}|r:${requests}`).digest('base64url').slice(0, 22);
  return `w${facts.standing.waitingTaskIds.length}r${facts.standing.openRequests.length}:${hash}`;
}

/** A channel's digest schedule, as stored; unset fields fall back to the configured defaults. */
export interface DigestSetting {
  channelId: string;
  enabled: boolean;
  time: string | null;
  timeZone: string | null;
}

export interface DigestStore {
  /** `limit` caps each list; totals are always exact. Indexed queries only (see schema.ts). */
  digestFacts(
    teamId: string,
    channelId: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<DigestFacts>;
  /** Channels worth a scheduled look: activity since `since`, waiting tasks, open requests, or a setting. */
  digestChannels(teamId: string, since: number): Promise<string[]>;
  digestSetting(teamId: string, channelId: string): Promise<DigestSetting | undefined>;
  digestSettings(teamId: string): Promise<DigestSetting[]>;
  saveDigestSetting(
    teamId: string,
    channelId: string,
    change: Partial<Omit<DigestSetting, 'channelId'>>,
    updatedBy: string,
  ): Promise<void>;
  /** Claims the scheduled digest of one channel and local day; false when it was already claimed. */
  claimDigestRun(teamId: string, channelId: string, localDate: string): Promise<boolean>;
  /**
   * Takes over a claim left in `posting` since before `staleBefore` (its process died while posting);
   * false when it finished, or someone else took it over.
   */
  reclaimStaleDigestRun(
    teamId: string,
    channelId: string,
    localDate: string,
    staleBefore: number,
  ): Promise<boolean>;
  finishDigestRun(
    teamId: string,
    channelId: string,
    localDate: string,
    outcome: { status: 'posted' | 'empty' | 'unchanged'; parentTs?: string; fingerprint?: string },
  ): Promise<void>;
  /** The latest scheduled digest posted in a channel: its local day and standing items. */
  lastPostedDigest(
    teamId: string,
    channelId: string,
  ): Promise<{ localDate: string; fingerprint: string | null } | undefined>;
  /** Posting failed: a later look (e.g. after a restart the same day) may claim it again. */
  releaseDigestRun(teamId: string, channelId: string, localDate: string): Promise<void>;
}

/** Writes the digest's optional "what happened" paragraph (the small model). May throw. */
export interface HighlightsWriter {
  write(facts: DigestFacts): Promise<string>;
}
