import { WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { type FakeSlack, startFakeSlack } from './fake-slack.js';
import { silentLogger } from './silent-logger.js';

/** Shared by the fake Slack's own test files: one fake per file, a WebClient on it, and Slack's error shape. */

export const CHANNEL = 'C0DATA001';
export const USER = 'U0ANA0001';

export const clientFor = (fake: FakeSlack, options: { rejectRateLimitedCalls?: boolean } = {}) =>
  new WebClient('xoxb-test', {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    // The WebClient logs every platform error and missing-text warning; these tests provoke them on purpose.
    logger: silentLogger,
    ...options,
  });

export const platformError = (error: string) => ({
  code: 'slack_webapi_platform_error',
  data: { ok: false, error },
});

/** Set by useFakeSlack's hooks (ESM live bindings: importers see the current values). */
export let fake: FakeSlack;
export let client: WebClient;

/** Starts a fake Slack for the calling test file or describe block, resetting it after every test. */
export function useFakeSlack(): void {
  beforeAll(async () => {
    fake = await startFakeSlack();
    client = clientFor(fake);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    fake.reset();
  });
  afterAll(async () => {
    await fake.close();
  });
}
