import { Cron } from 'croner';

/**
 * When a channel's daily digest is due. Croner computes the occurrences in the channel's time zone,
 * which settles DST for us: a time skipped by a spring-forward change runs at the first valid minute
 * after it, and a time repeated by a fall-back change runs once.
 */

export interface Schedule {
  /** HH:MM, 24-hour. */
  time: string;
  /** IANA zone. */
  timeZone: string;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A 24-hour HH:MM time (the hour may have one digit, e.g. 8:30). */
export const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)$/;

export function cronPattern(time: string): string {
  const [hours, minutes] = time.split(':').map(Number);
  return `${minutes} ${hours} * * *`;
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

const HOUR = 3_600_000;

/** The occurrence at or before `now`, and the one before it (the digest covers the time between). */
export function latestOccurrences(schedule: Schedule, now: Date): { previous: Date; latest: Date } {
  const cron = new Cron(cronPattern(schedule.time), { timezone: schedule.timeZone, paused: true });
  // Occurrences are 23–25 hours apart, so two days back holds at least two of them.
  let candidate = cron.nextRun(new Date(now.getTime() - 50 * HOUR));
  let previous: Date | undefined;
  let latest: Date | undefined;
  while (candidate && candidate.getTime() <= now.getTime()) {
    previous = latest;
    latest = candidate;
    candidate = cron.nextRun(candidate);
  }
  if (!latest || !previous)
    throw new Error(`no occurrence of ${schedule.time} ${schedule.timeZone} before ${now.toISOString()}`);
  return { previous, latest };
}

export interface DueDigest {
  /** The local day the digest is for: one digest per channel and local day. */
  localDate: string;
  scheduledAt: Date;
  /** The period it covers: from the previous occurrence up to this one. */
  from: Date;
}

/**
 * The digest to post now, if today's (local) scheduled time has passed. A run missed while the bot
 * was down is still due later the same local day; after midnight it is gone.
 */
export function dueDigest(schedule: Schedule, now: Date): DueDigest | undefined {
  const { previous, latest } = latestOccurrences(schedule, now);
  const day = localDate(latest, schedule.timeZone);
  if (day !== localDate(now, schedule.timeZone)) return undefined;
  return { localDate: day, scheduledAt: latest, from: previous };
}
