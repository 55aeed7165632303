import type { AlertState } from './alert-policy.js';
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
  byName(teamId: string, channelId: string, name: string): AdoptedCheck | undefined;
  setState(teamId: string, checkId: number, state: AdoptedCheck['state'], resumedAt?: Date): void;
  remove(teamId: string, checkId: number): void;
  /** Active checks of every team (the scheduler's scan), at most `limit`. */
  activeChecks(limit: number): AdoptedCheck[];

  /**
   * Claims the run of one slot: false when that slot was already claimed (run or running). Moves the
   * check's lastSlotAt to the slot in the same transaction.
   */
  claimRun(teamId: string, checkId: number, slotAt: Date, startedAt: Date): boolean;
  /** Stores the run's result and the check's new alert state together. */
  finishRun(
    teamId: string,
    checkId: number,
    slotAt: Date,
    result: RunResult,
    alert: AlertState,
    finishedAt: Date,
  ): void;
  runs(teamId: string, checkId: number, since: Date): CheckRun[];
}
