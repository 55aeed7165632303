import { ErrorCode } from '@slack/web-api';
import { countSlackRetry } from './metered-client.js';

/**
 * How every Web API call is retried. The WebClient's own retries are off (`retries: 0`,
 * `rejectRateLimitedCalls: true`) because they are the wrong shape for a bot serving many channels:
 * on a 429 it pauses its whole request queue, so one rate-limited channel would stall every other
 * one, and it repeats any failed call, so a 5xx on a post could post twice. Here a 429 (which Slack
 * did not process) waits out its Retry-After and repeats only that call; other transient failures are
 * repeated only for calls that are safe to repeat (reads, updates, deletes).
 */
export interface SlackCallPolicy {
  /** Retry-After waits one call may sit through before giving up. */
  rateLimitWaits: number;
  /** Repeats of an idempotent call after a 5xx, timeout or connection error. */
  transientRetries: number;
  /** First backoff for transient retries; doubled each time. */
  baseDelayMs: number;
}

export const DEFAULT_SLACK_CALL_POLICY: SlackCallPolicy = {
  rateLimitWaits: 8,
  transientRetries: 3,
  baseDelayMs: 500,
};

/** Slack platform errors that mean "try again", not "you did something wrong". */
const TRANSIENT_CODES = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export type SlackCall = <T>(fn: () => Promise<T>, options: { idempotent: boolean }) => Promise<T>;

export function slackCaller(policy: SlackCallPolicy = DEFAULT_SLACK_CALL_POLICY): SlackCall {
  return async (fn, { idempotent }) => {
    let waits = 0;
    let retries = 0;
    for (;;) {
      try {
        return await fn();
      } catch (error) {
        const retryAfterMs = rateLimitDelayMs(error);
        if (retryAfterMs !== undefined && waits < policy.rateLimitWaits) {
          waits += 1;
          countSlackRetry(error, 'rate_limited');
          await sleep(retryAfterMs + Math.random() * 250);
          continue;
        }
        if (idempotent && isTransient(error) && retries < policy.transientRetries) {
          retries += 1;
          countSlackRetry(error, 'transient');
          await sleep(policy.baseDelayMs * 2 ** (retries - 1) * (0.5 + Math.random() / 2));
          continue;
        }
        throw error;
      }
    }
  };
}

/** A 429 (the WebClient's rate-limited error) or a `ratelimited` body: how long Slack asked us to wait. */
function rateLimitDelayMs(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string } };
  if (e.code === ErrorCode.RateLimitedError) return Math.max(1, e.retryAfter ?? 1) * 1000;
  if (e.code === ErrorCode.PlatformError && e.data?.error === 'ratelimited') return 1000;
  return undefined;
}

function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const e = error as { code?: string; statusCode?: number; data?: { error?: string } };
  if (e.code === ErrorCode.RequestError) return true; // timeout, reset, refused
  if (e.code === ErrorCode.HTTPError) return (e.statusCode ?? 500) >= 500;
  if (e.code === ErrorCode.PlatformError) return TRANSIENT_CODES.has(e.data?.error ?? '');
  return false;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
