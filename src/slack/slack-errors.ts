import { ErrorCode } from '@slack/web-api';
import { SlackError, type SlackFailureKind } from '../core/errors.js';

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

/** Codes Slack answers when the bot cannot post in a conversation, and what each means to the core. */
const NOT_IN_CONVERSATION_CODES: Readonly<Record<string, SlackFailureKind>> = {
  not_in_channel: 'not_a_member',
  channel_not_found: 'conversation_hidden',
  is_archived: 'archived',
};

/** Failures after which a post may still have landed in Slack: a timeout, a reset, a 5xx. */
const MAYBE_LANDED_CODES = new Set([
  'request_error',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** What a Slack error code means to the use cases (see SlackFailureKind). */
export function slackFailureKind(code: string): SlackFailureKind {
  const notInConversation = NOT_IN_CONVERSATION_CODES[code];
  if (notInConversation) return notInConversation;
  if (MAYBE_LANDED_CODES.has(code) || /^http_5\d\d$/.test(code)) return 'may_have_landed';
  if (code === 'missing_scope') return 'missing_scope';
  return 'other';
}

/** The core's SlackError for Slack's error `code` from `method`, classified. */
export function slackError(code: string, method: string): SlackError {
  return new SlackError(code, method, slackFailureKind(code));
}

/** Wraps any Web API failure as the core's SlackError, so use cases can branch on what it means. */
export function toSlackError(error: unknown, method: string): SlackError {
  if (error instanceof SlackError) return error;
  return slackError(slackErrorCode(error) ?? 'unknown_error', method);
}
