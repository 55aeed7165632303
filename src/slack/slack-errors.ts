import { ErrorCode } from '@slack/web-api';
import { SlackError } from '../core/errors.js';

/** Slack's error code for a failed Web API call (`not_in_channel`, `ratelimited`, …), if it has one. */
export function slackErrorCode(error: unknown): string | undefined {
  if (error instanceof SlackError) return error.code;
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const e = error as { code?: string; data?: { error?: string }; statusCode?: number };
  if (e.code === ErrorCode.PlatformError) return e.data?.error;
  if (e.code === ErrorCode.RateLimitedError) return 'ratelimited';
  if (e.code === ErrorCode.HTTPError) return `http_${e.statusCode ?? 'error'}`;
  if (e.code === ErrorCode.RequestError) return 'request_error';
  return undefined;
}

/** Wraps any Web API failure as the core's SlackError, so use cases can branch on Slack's code. */
export function toSlackError(error: unknown, method: string): SlackError {
  if (error instanceof SlackError) return error;
  return new SlackError(slackErrorCode(error) ?? 'unknown_error', method);
}
