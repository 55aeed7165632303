/**
 * Errors the use cases understand. Adapters translate SDK errors into these so the core can decide
 * what a user sees without knowing which SDK failed.
 */

/** One line for a log: the error's name and message, or the thrown value as text. */
export function errorSummary(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

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

/**
 * Why a job's work was aborted: its lease went to another worker (`lease_lost`), the process is
 * stopping past its grace period (`shutdown`), or someone pressed Stop on the answer (`stopped`; `byUserId` unknown when
 * Slack's own stop control on a streaming message was used).
 * After any of them the job writes nothing more to Slack.
 */
export type AbortReason =
  | { kind: 'lease_lost' }
  | { kind: 'shutdown' }
  | { kind: 'stopped'; byUserId?: string };

/** Thrown by work that notices its job's AbortSignal; carries the reason. */
export class JobAbortedError extends Error {
  constructor(readonly reason: AbortReason) {
    super(`job aborted: ${reason.kind}`);
    this.name = 'JobAbortedError';
  }
}

/** The reason a signal was aborted with, when it is one of ours. */
export function abortReason(signal: AbortSignal | undefined): AbortReason | undefined {
  if (!signal?.aborted) return undefined;
  const reason = signal.reason as AbortReason | undefined;
  return reason && typeof reason === 'object' && 'kind' in reason ? reason : { kind: 'shutdown' };
}

/** Throws JobAbortedError when the signal was aborted: call before every write. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  const reason = abortReason(signal);
  if (reason) throw new JobAbortedError(reason);
}

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
