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

export interface QualityCheckStore {
  /** Records the answer's proposals (a name proposed again in the same task replaces the earlier one). */
  propose(check: ProposedCheck): void;
  proposals(teamId: string, taskId: number): ProposedCheck[];
  /**
   * The proposals answer `turnId` offers for adoption: those not offered before (a re-proposed check
   * counts as new), marked as offered by this answer. Asked again for the same answer (a resumed step),
   * it returns the same set.
   */
  offer(teamId: string, taskId: number, turnId: number): ProposedCheck[];
  /** What answer `turnId` offered (read only). */
  offeredBy(teamId: string, taskId: number, turnId: number): ProposedCheck[];

  /**
   * Adopts proposals as checks of the task's channel. A name already adopted in that channel is
   * skipped (returned in `taken`), never overwritten by someone else's adoption.
   */
  adopt(
    adoption: Omit<AdoptedCheck, 'id' | 'state' | 'alert' | 'lastSlotAt' | keyof CheckDefinition> & {
      checks: CheckDefinition[];
      adoptedAt: Date;
    },
  ): { adopted: AdoptedCheck[]; taken: string[] };
  check(teamId: string, checkId: number): AdoptedCheck | undefined;
  checksIn(teamId: string, channelId: string): AdoptedCheck[];
  /** The checks a person adopted, in every channel, failing ones first. */
  adoptedBy(teamId: string, userId: string, limit: number): AdoptedCheck[];
  byName(teamId: string, channelId: string, name: string): AdoptedCheck | undefined;
  setState(teamId: string, checkId: number, state: AdoptedCheck['state'], resumedAt?: Date): void;
  remove(teamId: string, checkId: number): void;
  /** Active checks of every team (the scheduler's scan), at most `limit`. */
  activeChecks(limit: number): AdoptedCheck[];

  /**
   * Claims the run of one slot: false when that slot was already claimed, unless its run was cut short
   * (no result) and started before `staleBefore` (its process died): then it is claimed again. Moves the
   * check's lastSlotAt to the slot in the same transaction.
   */
  claimRun(teamId: string, checkId: number, slotAt: Date, startedAt: Date, staleBefore: Date): boolean;
  /** A run of this check started at or after `staleBefore` has no result yet (it is running). */
  isRunning(teamId: string, checkId: number, staleBefore: Date): boolean;
  /** Runs cut short (no result) that started before `staleBefore`, oldest first. */
  abandonedRuns(staleBefore: Date, limit: number): RunRef[];
  /** Stores the run's result, what the thread is told, and the check's new alert state, together. */
  finishRun(
    run: RunRef,
    outcome: { result: RunResult; alert: AlertState; action: AlertAction },
    finishedAt: Date,
  ): void;
  /** Finished runs whose action ('failure', 'recovery', 'flapping') has no post yet, oldest first. */
  unannounced(limit: number): (RunRef & { action: Exclude<AlertAction, 'none'>; observed: string })[];
  markAnnounced(run: RunRef, ts: string): void;
  /** One run as stored (undefined when the check or run is gone). */
  run(run: RunRef): CheckRun | undefined;
  /** Records the first Acknowledge of a run's failure; false when someone already did. */
  acknowledge(run: RunRef, userId: string): boolean;
  /** Marks a failed run a false positive; false when it was not a failure or already marked. */
  markFalsePositive(run: RunRef): boolean;
  snooze(teamId: string, checkId: number, until: Date): void;
  runs(teamId: string, checkId: number, since: Date): CheckRun[];
}
