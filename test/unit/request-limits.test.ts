import { describe, expect, it } from 'vitest';
import { ThrottledWarn } from '../../src/log-throttle.js';
import { checkSignatureHeaders } from '../../src/slack/request-guard.js';

const NOW = 1_800_000_000_000;
const SIG = `v0=${'ab'.repeat(32)}`;
const at = (seconds: number) => String(Math.floor(NOW / 1000) + seconds);

describe('checkSignatureHeaders (before the body is read)', () => {
  it.each([
    ['no headers', {}, 'unsigned'],
    ['no timestamp', { 'x-slack-signature': SIG }, 'unsigned'],
    [
      'not v0=hex',
      { 'x-slack-signature': 'v0=xyz', 'x-slack-request-timestamp': at(0) },
      'malformed signature headers',
    ],
    [
      'short hex',
      { 'x-slack-signature': 'v0=abcd', 'x-slack-request-timestamp': at(0) },
      'malformed signature headers',
    ],
    [
      'timestamp not a number',
      { 'x-slack-signature': SIG, 'x-slack-request-timestamp': '12ab' },
      'malformed signature headers',
    ],
    [
      'six minutes old',
      { 'x-slack-signature': SIG, 'x-slack-request-timestamp': at(-360) },
      'stale timestamp',
    ],
    [
      'six minutes ahead',
      { 'x-slack-signature': SIG, 'x-slack-request-timestamp': at(360) },
      'stale timestamp',
    ],
  ])('%s → 401', (_, headers, reason) => {
    expect(checkSignatureHeaders(headers, 'secret', NOW)).toEqual({ status: 401, reason });
  });

  it('lets well-formed, fresh headers through to the full check, and everything through in Socket Mode', () => {
    const headers = { 'x-slack-signature': SIG, 'x-slack-request-timestamp': at(-299) };
    expect(checkSignatureHeaders(headers, 'secret', NOW)).toBeUndefined();
    expect(checkSignatureHeaders({}, undefined, NOW)).toBeUndefined();
  });
});

describe('ThrottledWarn', () => {
  it('logs the first lines of a window, then one line with how many it left out', () => {
    const lines: Record<string, unknown>[] = [];
    let now = 0;
    const logger = { warn: (_: string, fields?: Record<string, unknown>) => lines.push(fields ?? {}) };
    const throttled = new ThrottledWarn(logger as never, { burst: 5, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 1000; i += 1) throttled.warn('refused', { i });
    expect(lines).toHaveLength(5);
    now = 60_000;
    throttled.warn('refused', { i: 'next' });
    expect(lines).toHaveLength(6);
    expect(lines[5]).toEqual({ i: 'next', suppressedSinceLastLine: 995 });
  });
});
