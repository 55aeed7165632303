import { Cron } from 'croner';
import { TIME_OF_DAY } from '../digest/schedule.js';

/**
 * Why this file exists: when an adopted check runs. People pick "hourly", "daily at 07:30" or a cron
 * expression in the adopt modal; every run belongs to one slot (the scheduled instant), which makes
 * "exactly once per check and slot" a unique key. After downtime a check runs once, for its newest
 * missed slot: running a slot that is hours old against today's data would only repeat the newest
 * answer, so the older slots are counted as skipped, not run. Croner settles time zones and DST. Pure.
 */

export type CheckSchedule =
  | { kind: 'hourly'; minute: number }
  | { kind: 'daily'; time: string }
  | { kind: 'cron'; expression: string };

/** Runs closer together than this are refused: a source is a team's warehouse, not a load test. */
export const MIN_MINUTES_BETWEEN_RUNS = 15;

const CRON_FIELDS = /^\S+(\s+\S+){4}$/;

/**
 * "hourly", "hourly at :15", "daily at 7:30", or five cron fields. Returns the schedule, or why the
 * text was refused (said to the person who typed it).
 */
export function parseCheckSchedule(text: string): CheckSchedule | { problem: string } {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const hourly = /^hourly(?: at :?([0-5]?\d))?$/.exec(t);
  if (hourly) return { kind: 'hourly', minute: Number(hourly[1] ?? 0) };
  const daily = /^daily at (\S+)$/.exec(t);
  if (daily?.[1]) {
    if (!TIME_OF_DAY.test(daily[1]))
      return { problem: 'a daily time is HH:MM, 24-hour (e.g. `daily at 07:30`)' };
    return { kind: 'daily', time: daily[1] };
  }
  if (!CRON_FIELDS.test(t)) {
    return { problem: 'use `hourly`, `daily at HH:MM` or a cron expression of five fields' };
  }
  let cron: Cron;
  try {
    cron = new Cron(t, { paused: true });
  } catch {
    return { problem: 'that cron expression is not valid' };
  }
  if (tooFrequent(cron)) return { problem: `checks run at most every ${MIN_MINUTES_BETWEEN_RUNS} minutes` };
  return { kind: 'cron', expression: t };
}

function tooFrequent(cron: Cron): boolean {
  // Looks at a day of runs from a fixed instant: enough to see any sub-daily pattern's spacing.
  const runs = cron.nextRuns(100, new Date(Date.UTC(2025, 0, 6)));
  for (let i = 1; i < runs.length; i += 1) {
    const gap = (runs[i] as Date).getTime() - (runs[i - 1] as Date).getTime();
    if (gap < MIN_MINUTES_BETWEEN_RUNS * 60_000) return true;
  }
  return false;
}

export function cronOf(schedule: CheckSchedule): string {
  if (schedule.kind === 'hourly') return `${schedule.minute} * * * *`;
  if (schedule.kind === 'daily') {
    const [hours, minutes] = schedule.time.split(':').map(Number);
    return `${minutes} ${hours} * * *`;
  }
  return schedule.expression;
}

/** The first slot strictly after `after`. */
export function nextSlot(schedule: CheckSchedule, timeZone: string, after: Date): Date | undefined {
  return new Cron(cronOf(schedule), { timezone: timeZone, paused: true }).nextRun(after) ?? undefined;
}

export interface DueSlot {
  slot: Date;
  /** Slots after `lastSlot` that were missed and will not run (downtime, a paused check). */
  skipped: number;
}

/**
 * The slot to run now: the newest slot in (lastSlot, now], or undefined when none has come. `lastSlot`
 * is the slot of the check's previous run (or the moment it was adopted or resumed).
 */
export function dueSlot(
  schedule: CheckSchedule,
  timeZone: string,
  lastSlot: Date,
  now: Date,
): DueSlot | undefined {
  const cron = new Cron(cronOf(schedule), { timezone: timeZone, paused: true });
  let slot = cron.nextRun(lastSlot);
  if (!slot || slot.getTime() > now.getTime()) return undefined;
  let skipped = 0;
  // A long outage of an hourly check is a few hundred slots at most per month: walking them is cheap,
  // and a bound keeps a bad clock from looping for long.
  for (let steps = 0; steps < 10_000; steps += 1) {
    const following = cron.nextRun(slot);
    if (!following || following.getTime() > now.getTime()) break;
    slot = following;
    skipped += 1;
  }
  return { slot, skipped };
}
