import { describe, expect, it } from 'vitest';
import { INITIAL_ALERT_STATE, nextAlert } from '../../src/core/quality-monitor/alert-policy.js';
import {
  checkDefinition,
  parseExpectation,
  proposedCheckInput,
} from '../../src/core/quality-monitor/check-definition.js';
import { dueSlot, nextSlot, parseCheckSchedule } from '../../src/core/quality-monitor/check-schedule.js';
import { evaluateCheck } from '../../src/core/quality-monitor/evaluate-check.js';
import { passRate } from '../../src/core/quality-monitor/pass-rates.js';
import {
  describeExpectation,
  describeSchedule,
  formatPassRate,
} from '../../src/render/quality-check-messages.js';

describe('check expectations', () => {
  it('reads the forms the tool offers', () => {
    expect(parseExpectation('0 rows')).toEqual({ kind: 'no_rows' });
    expect(parseExpectation('No rows')).toEqual({ kind: 'no_rows' });
    expect(parseExpectation('value between 0 and 0.01')).toEqual({
      kind: 'value_between',
      min: 0,
      max: 0.01,
    });
    expect(parseExpectation('value between 5 and 1')).toEqual({ kind: 'value_between', min: 1, max: 5 });
    expect(parseExpectation('value <= 5')).toEqual({ kind: 'value_between', max: 5 });
    expect(parseExpectation('value >= -2.5')).toEqual({ kind: 'value_between', min: -2.5 });
    expect(parseExpectation('value = 0')).toEqual({ kind: 'value_between', min: 0, max: 0 });
    expect(parseExpectation('mostly fine')).toBeUndefined();
    expect(parseExpectation('value between a and b')).toBeUndefined();
  });

  it('says them in words', () => {
    expect(describeExpectation({ kind: 'no_rows' })).toBe('no rows');
    expect(describeExpectation({ kind: 'value_between', min: 0, max: 0.01 })).toBe('between 0 and 0.01');
    expect(describeExpectation({ kind: 'value_between', max: 5 })).toBe('at most 5');
    expect(describeExpectation({ kind: 'value_between', min: 3, max: 3 })).toBe('exactly 3');
  });

  it('validates the tool input and refuses names and expectations it cannot use', () => {
    const good = { name: 'orders_amount_positive', sql: 'select 1', expect: '0 rows', severity: 'critical' };
    expect(checkDefinition(proposedCheckInput.parse(good)).expectation).toEqual({ kind: 'no_rows' });
    expect(proposedCheckInput.safeParse({ ...good, name: 'Orders <!channel>' }).success).toBe(false);
    expect(proposedCheckInput.safeParse({ ...good, expect: 'be nice' }).success).toBe(false);
    expect(proposedCheckInput.safeParse({ ...good, severity: 'urgent' }).success).toBe(false);
    expect(proposedCheckInput.safeParse({ ...good, sql: 'x'.repeat(20_001) }).success).toBe(false);
  });
});

describe('judging a run', () => {
  const rows = (values: (string | number | null)[][], truncated = false) => ({
    columns: ['v'],
    rows: values,
    truncated,
  });

  it('passes a "0 rows" check only when nothing came back', () => {
    expect(evaluateCheck({ kind: 'no_rows' }, rows([]))).toEqual({ passed: true, observed: '0 rows' });
    expect(evaluateCheck({ kind: 'no_rows' }, rows([[1]]))).toEqual({ passed: false, observed: '1 row' });
    expect(evaluateCheck({ kind: 'no_rows' }, rows([[1], [2]], true)).observed).toBe('more than 2 rows');
  });

  it('judges one number against inclusive bounds, numeric strings included', () => {
    const between = { kind: 'value_between', min: 0, max: 0.01 } as const;
    expect(evaluateCheck(between, rows([[0.01]])).passed).toBe(true);
    expect(evaluateCheck(between, rows([['0.0042']]))).toEqual({
      passed: true,
      observed: '0.0042',
      value: 0.0042,
    });
    expect(evaluateCheck(between, rows([[0.02]])).passed).toBe(false);
    expect(evaluateCheck({ kind: 'value_between', min: 100 }, rows([['99']])).passed).toBe(false);
  });

  it('fails a value check that returned no number, a null, or several rows', () => {
    const atMost = { kind: 'value_between', max: 5 } as const;
    expect(evaluateCheck(atMost, rows([[null]]))).toEqual({ passed: false, observed: 'no value (null)' });
    expect(evaluateCheck(atMost, rows([['abc']])).observed).toBe('not a number');
    expect(evaluateCheck(atMost, rows([]))).toMatchObject({ passed: false });
    expect(evaluateCheck(atMost, rows([[1], [2]])).observed).toBe('2 rows where one value was expected');
  });
});

describe('check schedules', () => {
  it('reads hourly, daily and cron, and refuses runs closer than 15 minutes', () => {
    expect(parseCheckSchedule('hourly')).toEqual({ kind: 'hourly', minute: 0 });
    expect(parseCheckSchedule('Hourly at :15')).toEqual({ kind: 'hourly', minute: 15 });
    expect(parseCheckSchedule('daily at 7:30')).toEqual({ kind: 'daily', time: '7:30' });
    expect(parseCheckSchedule('0 */6 * * *')).toEqual({ kind: 'cron', expression: '0 */6 * * *' });
    expect(parseCheckSchedule('daily at 25:00')).toHaveProperty('problem');
    expect(parseCheckSchedule('* * * * *')).toEqual({ problem: 'checks run at most every 15 minutes' });
    expect(parseCheckSchedule('*/5 * * * *')).toHaveProperty('problem');
    expect(parseCheckSchedule('*/15 * * * *')).toEqual({ kind: 'cron', expression: '*/15 * * * *' });
    expect(parseCheckSchedule('61 * * * *')).toHaveProperty('problem');
    expect(parseCheckSchedule('every now and then')).toHaveProperty('problem');
    expect(describeSchedule({ kind: 'hourly', minute: 5 })).toBe('hourly at :05');
  });

  it('runs the newest missed slot once after downtime and counts the others as skipped', () => {
    const hourly = { kind: 'hourly', minute: 0 } as const;
    const last = new Date('2026-11-30T08:00:00Z');
    expect(dueSlot(hourly, 'UTC', last, new Date('2026-11-30T08:59:59Z'))).toBeUndefined();
    expect(dueSlot(hourly, 'UTC', last, new Date('2026-11-30T09:00:00Z'))).toEqual({
      slot: new Date('2026-11-30T09:00:00Z'),
      skipped: 0,
    });
    expect(dueSlot(hourly, 'UTC', last, new Date('2026-11-30T12:30:00Z'))).toEqual({
      slot: new Date('2026-11-30T12:00:00Z'),
      skipped: 3,
    });
  });

  it('places daily slots in the channel time zone', () => {
    const daily = { kind: 'daily', time: '07:30' } as const;
    expect(nextSlot(daily, 'Europe/Berlin', new Date('2026-11-30T00:00:00Z'))).toEqual(
      new Date('2026-11-30T06:30:00Z'),
    );
  });
});

describe('alerting after a run', () => {
  const at = (hour: number) => new Date(Date.UTC(2026, 10, 30, hour));

  it('posts a failure once, stays quiet while it keeps failing, and posts the recovery once', () => {
    let state = INITIAL_ALERT_STATE;
    const actions: string[] = [];
    for (const [hour, passed] of [
      [0, true],
      [1, false],
      [2, false],
      [3, false],
      [4, true],
      [5, true],
    ] as const) {
      const step = nextAlert(state, passed, at(hour));
      state = step.state;
      actions.push(step.action);
    }
    expect(actions).toEqual(['none', 'failure', 'none', 'none', 'recovery', 'none']);
  });

  it('a first run that fails is a failure', () => {
    expect(nextAlert(INITIAL_ALERT_STATE, false, at(0)).action).toBe('failure');
  });

  it('summarises a flapping check once, then says its steady state after a quiet day', () => {
    let state = INITIAL_ALERT_STATE;
    const actions: string[] = [];
    const run = (hour: number, passed: boolean) => {
      const step = nextAlert(state, passed, at(hour));
      state = step.state;
      actions.push(step.action);
    };
    run(0, true);
    for (let hour = 1; hour <= 8; hour += 1) run(hour, hour % 2 === 0);
    expect(actions.filter((a) => a === 'flapping')).toHaveLength(1);
    expect(actions.slice(0, 4)).toEqual(['none', 'failure', 'recovery', 'failure']);
    expect(actions.slice(5)).toEqual(['none', 'none', 'none', 'none']);
    run(20, true);
    expect(actions.at(-1)).toBe('none');
    run(33, true);
    expect(actions.at(-1)).toBe('recovery');
    expect(state.flapping).toBe(false);
  });
});

describe('pass rates', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

  it('counts the runs of each window and never rounds a failure up to 100%', () => {
    const runs = [
      ...Array.from({ length: 999 }, (_, i) => ({ at: daysAgo(1 + i / 1000), passed: true })),
      { at: daysAgo(2), passed: false },
      { at: daysAgo(20), passed: false },
    ];
    const week = passRate(runs, now, 7);
    expect(week).toEqual({ passed: 999, total: 1000, share: 0.999 });
    expect(formatPassRate(week)).toBe('99.9% (999 of 1000 runs)');
    expect(passRate(runs, now, 30).total).toBe(1001);
    const nearlyAll = passRate(
      [...runs.slice(0, 999), { at: daysAgo(2), passed: false }].concat(runs.slice(0, 999)),
      now,
      7,
    );
    expect(formatPassRate(nearlyAll)).toBe('99.9% (1998 of 1999 runs)');
    expect(formatPassRate(passRate([], now, 7))).toBe('no runs');
  });
});
