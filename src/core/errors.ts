/**
 * Errors the use cases understand. Adapters translate SDK errors into these so the core can decide
 * what a user sees without knowing which SDK failed.
 */

/** A Slack Web API call failed with Slack's error code (e.g. `not_in_channel`). */
export class SlackError extends Error {
  constructor(
    readonly code: string,
    readonly method: string,
  ) {
    super(`Slack ${method} failed: ${code}`);
    this.name = 'SlackError';
  }
}

/** Claude could not produce an answer even after retries; `userMessage` is safe to show. */
export class AgentError extends Error {
  constructor(
    readonly kind:
      | 'overloaded'
      | 'rate_limited'
      | 'timeout'
      | 'refused'
      | 'invalid_request'
      | 'auth'
      | 'unknown',
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`agent failed: ${kind}`, options);
    this.name = 'AgentError';
  }
}

/** Slack answers these when the bot cannot post in a conversation. */
export const NOT_IN_CONVERSATION_CODES = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

/** Failures after which a post may still have landed in Slack: a timeout, a reset, a 5xx. */
const MAYBE_LANDED_CODES = new Set([
  'request_error',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** True when a failed post may have landed, so it must be looked up (not posted again, not given up). */
export function mayHaveLanded(error: unknown): boolean {
  if (!(error instanceof SlackError)) return false;
  return MAYBE_LANDED_CODES.has(error.code) || /^http_5\d\d$/.test(error.code);
}
