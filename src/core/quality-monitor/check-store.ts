import type { AlertAction, AlertState } from './alert-policy.js';
import type { CheckDefinition } from './check-definition.js';
import type { CheckSchedule } from './check-schedule.js';

/**
 * Why this file exists: what the quality monitor keeps (issue 17). A check is first *proposed* by an
 * answer (the agent's tool, validated in the answer's sandbox), then *adopted* by a person (a source
 * and a schedule), then *run*: one run per check and slot, which the store's unique key enforces so a
 * retried or doubled job can never run a slot twice. Every read and write is scoped by team.
 */

/** A check an answer proposed, waiting for someone to adopt it. */
export interface ProposedCheck extends CheckDefinition {
  teamId: string;
  taskId: number;
  /** What the check said on the answer's synthetic data ("0 rows", "0.02"). */
  sandboxObserved: string;
  sandboxPassed: boolean;
}

export interface AdoptedCheck extends CheckDefinition {
  id: number;
  teamId: string;
  channelId: string;
  taskId: number;
  /** The task's thread: failures and recoveries are posted there. */
  threadTs: string;
  sourceName: string;
  schedule: CheckSchedule;
  timeZone: string;
  adoptedBy: string;
  state: 'active' | 'paused';
  /** The slot of the latest run, or when it was adopted or resumed: the next run is after it. */
  lastSlotAt: Date;
  /** The first slot after lastSlotAt; undefined when the schedule has none. */
  nextSlotAt?: Date;
  alert: AlertState;
  /** Failures are not posted before this (Snooze 24 h). */
  snoozedUntil?: Date;
}

export type RunResult =
  | { kind: 'passed' | 'failed'; observed: string }
  /** The query could not run (timeout, refused, source down): not a verdict on the data. */
  | { kind: 'error'; observed: string };

export interface CheckRun {
  checkId: number;
  slotAt: Date;
  result: RunResult | undefined;
  startedAt: Date;
  finishedAt?: Date;
  /** What the thread is told about it (set with the result). */
  action?: AlertAction;
  /** The post of `action`, once it landed. */
  announcedTs?: string;
  /** Who pressed Acknowledge on its failure post. */
  acknowledgedBy?: string;
  /** Marked a false positive: counted as passed in pass rates. */
  falsePositive: boolean;
}

/** A run to act on, with the check it belongs to. */
export interface RunRef {
  teamId: string;
  checkId: number;
  slotAt: Date;
}

/** A run to claim, with the check's next slot after it (stored with the claim). */
export interface ClaimRef extends RunRef {
  nextSlotAt: Date | undefined;
}

export interface QualityCheckStore {
  /** Records the answer's proposals (a name proposed again in the same task replaces the earlier one). */
  propose(check: ProposedCheck): Promise<void>;
  proposals(teamId: string, taskId: number): Promise<ProposedCheck[]>;
  /**
   * The proposals answer `turnId` offers for adoption: those not offered before (a re-proposed check
   * counts as new), marked as offered by this answer. Asked again for the same answer (a resumed step),
   * it returns the same set.
   */
  offer(teamId: string, taskId: number, turnId: number): Promise<ProposedCheck[]>;
  /** What answer `turnId` offered (read only). */
  offeredBy(teamId: string, taskId: number, turnId: number): Promise<ProposedCheck[]>;

  /**
   * Adopts proposals as checks of the task's channel. A name already adopted in that channel is
   * skipped (returned in `taken`), never overwritten by someone else's adoption.
   */
  adopt(
    adoption: Omit<
      AdoptedCheck,
      'id' | 'state' | 'alert' | 'lastSlotAt' | 'nextSlotAt' | 'snoozedUntil' | keyof CheckDefinition
    > & {
      checks: CheckDefinition[];
      adoptedAt: Date;
      nextSlotAt: Date | undefined;
      /** Counted inside the same transaction, so two adoptions at once cannot pass a cap together. */
      limits: { perChannel: number; perTeam: number };
    },
  ): Promise<{ adopted: AdoptedCheck[]; taken: string[] } | { full: 'channel' | 'team' }>;
  check(teamId: string, checkId: number): Promise<AdoptedCheck | undefined>;
  checksIn(teamId: string, channelId: string): Promise<AdoptedCheck[]>;
  /** The checks a person adopted, in every channel, failing ones first. */
  adoptedBy(teamId: string, userId: string, limit: number): Promise<AdoptedCheck[]>;
  byName(teamId: string, channelId: string, name: string): Promise<AdoptedCheck | undefined>;
  /** Pauses, or resumes from `resumed.at` (slots missed while paused are not run). */
  setState(
    teamId: string,
    checkId: number,
    state: AdoptedCheck['state'],
    resumed?: { at: Date; nextSlotAt: Date | undefined },
  ): Promise<void>;
  remove(teamId: string, checkId: number): Promise<void>;
  /** Active checks of every team whose next slot has come, soonest first, at most `limit`. */
  dueChecks(now: Date, limit: number): Promise<AdoptedCheck[]>;

  /**
   * Claims the run of one slot: false when that slot was already claimed, unless its run was cut short
   * (no result) and started before `staleBefore` (its process died): then it is claimed again. Moves the
   * check's lastSlotAt to the slot in the same transaction.
   */
  claimRun(run: ClaimRef, startedAt: Date, staleBefore: Date): Promise<boolean>;
  /**
   * claimRun for many runs in one transaction (one commit, not one per check: a thousand checks due in
   * the same minute would otherwise wait for a thousand disk syncs). Returns the runs claimed.
   */
  claimRuns(runs: ClaimRef[], startedAt: Date, staleBefore: Date): Promise<ClaimRef[]>;
  /**
   * Just before its query: restamps the claim (`claimedAt` → `now`), so a run that waited in line is not
   * taken for dead. False when another process took the run over meanwhile: then this one leaves it.
   */
  startRun(run: RunRef, claimedAt: Date, now: Date): Promise<boolean>;
  /** A run of this check started at or after `staleBefore` has no result yet (it is running). */
  isRunning(teamId: string, checkId: number, staleBefore: Date): Promise<boolean>;
  /** Runs cut short (no result) that started before `staleBefore`, oldest first. */
  abandonedRuns(staleBefore: Date, limit: number): Promise<RunRef[]>;
  /**
   * Stores the run's result, what the thread is told, and the check's new alert state, together, when
   * the run is still this process's (started at `startedAt`, no result yet); false otherwise.
   */
  finishRun(
    run: RunRef,
    outcome: { result: RunResult; alert: AlertState; action: AlertAction },
    finishedAt: Date,
    startedAt: Date,
  ): Promise<boolean>;
  /** Finished runs whose action ('failure', 'recovery', 'flapping') has no post yet, fewest tries first. */
  unannounced(
    limit: number,
  ): Promise<(RunRef & { action: Exclude<AlertAction, 'none'>; observed: string })[]>;
  /**
   * Claims the post of a run's action: undefined when another process is making it (claimed after
   * `staleBefore`) or it was made. `attempts` counts the tries before this one (a try may have landed).
   */
  claimAnnouncement(run: RunRef, now: Date, staleBefore: Date): Promise<{ attempts: number } | undefined>;
  markAnnounced(run: RunRef, ts: string): Promise<void>;
  /** A post that failed: unclaimed at once, so the next pass tries again (looking it up first). */
  releaseAnnouncement(run: RunRef): Promise<void>;
  /**
   * Records a QA-owner ping from a failing check unless the channel had `max` since `since`: false then.
   * Count and insert are one transaction, so two processes pinging at once cannot both pass the cap.
   */
  claimPing(teamId: string, channelId: string, at: Date, since: Date, max: number): Promise<boolean>;
  pingsSince(teamId: string, channelId: string, since: Date): Promise<number>;
  /** One run as stored (undefined when the check or run is gone). */
  run(run: RunRef): Promise<CheckRun | undefined>;
  /** Records the first Acknowledge of a run's failure; false when someone already did. */
  acknowledge(run: RunRef, userId: string): Promise<boolean>;
  /** Marks a failed run a false positive; false when it was not a failure or already marked. */
  markFalsePositive(run: RunRef): Promise<boolean>;
  snooze(teamId: string, checkId: number, until: Date): Promise<void>;
  runs(teamId: string, checkId: number, since: Date): Promise<CheckRun[]>;
}
