import { describe, expect, it } from 'vitest';
import { dueDigest, latestOccurrences, localDate } from '../../src/core/digest/schedule.js';

const at = (iso: string) => new Date(iso);

describe('digest schedule', () => {
  it('is due after today’s local time has passed, and not before', () => {
    const berlin = { time: '09:00', timeZone: 'Europe/Berlin' };
    expect(dueDigest(berlin, at('2026-11-26T07:59:00Z'))).toBeUndefined(); // 08:59 in Berlin
    expect(dueDigest(berlin, at('2026-11-26T08:00:00Z'))).toEqual({
      localDate: '2026-11-26',
      scheduledAt: at('2026-11-26T08:00:00Z'),
      from: at('2026-11-25T08:00:00Z'),
    });
  });

  it('keeps a missed run due for the rest of the local day, and drops it after midnight', () => {
    const ny = { time: '08:30', timeZone: 'America/New_York' };
    // 23:59 in New York is already the next day in UTC.
    expect(dueDigest(ny, at('2026-11-27T04:59:00Z'))?.localDate).toBe('2026-11-26');
    expect(dueDigest(ny, at('2026-11-27T05:00:00Z'))).toBeUndefined(); // 00:00 on the 27th
  });

  it.each([
    ['Asia/Tokyo', '07:00', '2026-11-25T22:00:00Z', '2026-11-26'], // UTC+9: the local day starts a day earlier in UTC
    ['Pacific/Auckland', '09:00', '2026-11-25T20:00:00Z', '2026-11-26'], // UTC+13 in summer
    ['America/Los_Angeles', '18:00', '2026-11-27T02:00:00Z', '2026-11-26'], // UTC-8: the local day ends a day later in UTC
    ['Asia/Kolkata', '09:30', '2026-11-26T04:00:00Z', '2026-11-26'], // half-hour offset
  ])('handles %s (%s local) east and west of UTC', (timeZone, time, scheduledUtc, day) => {
    const due = dueDigest({ time, timeZone }, new Date(at(scheduledUtc).getTime() + 60_000));
    expect(due?.scheduledAt).toEqual(at(scheduledUtc));
    expect(due?.localDate).toBe(day);
    expect(dueDigest({ time, timeZone }, new Date(at(scheduledUtc).getTime() - 60_000))).toBeUndefined();
  });

  it('runs once on a spring-forward day even when the time does not exist', () => {
    // Europe/Berlin skips 02:00–03:00 on 29 March 2026; 02:30 runs at the first valid minute after it.
    const schedule = { time: '02:30', timeZone: 'Europe/Berlin' };
    const due = dueDigest(schedule, at('2026-03-29T02:00:00Z'));
    expect(due?.localDate).toBe('2026-03-29');
    expect(due?.scheduledAt).toEqual(at('2026-03-29T01:00:00Z')); // 03:00 CEST
    // The period since the day before is 23 hours long, not 24.
    expect(due?.from).toEqual(at('2026-03-28T01:30:00Z'));
  });

  it('runs once on a fall-back day even though the time happens twice', () => {
    // America/New_York repeats 01:00–02:00 on 1 November 2026.
    const schedule = { time: '01:30', timeZone: 'America/New_York' };
    const first = dueDigest(schedule, at('2026-11-01T05:31:00Z')); // 01:30 EDT
    const second = dueDigest(schedule, at('2026-11-01T06:31:00Z')); // 01:30 EST, an hour later
    expect(first?.localDate).toBe('2026-11-01');
    expect(second).toEqual(first); // the same run: the second 01:30 is not a new occurrence
    expect(first?.from).toEqual(at('2026-10-31T05:30:00Z'));
  });

  it('spaces occurrences by the local day, 23 to 25 hours apart across DST', () => {
    const spring = latestOccurrences(
      { time: '09:00', timeZone: 'Europe/Berlin' },
      at('2026-03-29T12:00:00Z'),
    );
    expect(spring.latest.getTime() - spring.previous.getTime()).toBe(23 * 3_600_000);
    const autumn = latestOccurrences(
      { time: '09:00', timeZone: 'Europe/Berlin' },
      at('2026-10-25T12:00:00Z'),
    );
    expect(autumn.latest.getTime() - autumn.previous.getTime()).toBe(25 * 3_600_000);
  });

  it('names the local calendar day', () => {
    expect(localDate(at('2026-11-26T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-11-27');
    expect(localDate(at('2026-11-26T03:30:00Z'), 'America/Los_Angeles')).toBe('2026-11-25');
  });
});
