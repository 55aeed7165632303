import Anthropic from '@anthropic-ai/sdk';
import { AgentError } from '../core/errors.js';

/** How Anthropic API failures are classified, retried and explained to the user. */

export function errorType(error: unknown): string | undefined {
  if (error instanceof Anthropic.APIError)
    return error.type ?? (error.status ? `http_${error.status}` : undefined);
  return error instanceof Error ? error.name : undefined;
}

/**
 * The SDK already retried 429/5xx/connection failures before throwing; we retry once more at the
 * stream level for those, and for the mid-stream `overloaded_error` event it never retries.
 */
/** The stream sent nothing (not even a ping) for too long; it is aborted and retried. */
export class StalledStreamError extends Error {
  constructor(idleMs: number, options?: ErrorOptions) {
    super(`no stream event for ${idleMs} ms`, options);
    this.name = 'StalledStreamError';
  }
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof StalledStreamError) return true;
  if (error instanceof Anthropic.APIUserAbortError) return false;
  if (error instanceof Anthropic.APIConnectionError) return true;
  if (error instanceof Anthropic.APIError) {
    if (error.status === undefined) return error.type === 'overloaded_error' || error.type === 'api_error';
    return error.status === 429 || error.status === 408 || error.status >= 500;
  }
  return false;
}

export function toAgentError(error: unknown): AgentError {
  const retryLater = 'Please try again in a few minutes.';
  if (error instanceof Anthropic.APIError) {
    const type = error.type;
    if (type === 'overloaded_error' || error.status === 529)
      return new AgentError(
        'overloaded',
        `Claude is overloaded right now and I could not finish after several tries. ${retryLater}`,
        { cause: error },
      );
    if (error.status === 429 || type === 'rate_limit_error')
      return new AgentError(
        'rate_limited',
        `This workspace has hit its Claude API rate limit. ${retryLater}`,
        { cause: error },
      );
    if (error.status === 401 || error.status === 403)
      return new AgentError(
        'auth',
        'I could not reach Claude: the API key was rejected. An admin needs to check ANTHROPIC_API_KEY.',
        { cause: error },
      );
    if (error.status === 400 || error.status === 413)
      return new AgentError(
        'invalid_request',
        'Claude could not accept this request (it may be too long). Try a shorter or narrower task.',
        { cause: error },
      );
  }
  if (
    error instanceof StalledStreamError ||
    error instanceof Anthropic.APIConnectionTimeoutError ||
    error instanceof Anthropic.APIConnectionError
  )
    return new AgentError('timeout', `I could not reach Claude (network trouble). ${retryLater}`, {
      cause: error,
    });
  return new AgentError('unknown', `Something went wrong while Claude was answering. ${retryLater}`, {
    cause: error,
  });
}

/**
 * How long to wait before attempt `attempt + 1`: the server's retry-after (429/529) when it sent one,
 * otherwise capped exponential backoff with jitter.
 */
export function retryDelayMs(error: unknown, attempt: number, baseMs: number): number {
  if (error instanceof Anthropic.APIError && error.headers) {
    const ms = Number(error.headers.get('retry-after-ms'));
    if (Number.isFinite(ms) && ms > 0) return Math.min(ms, 5 * 60_000);
    const seconds = Number(error.headers.get('retry-after'));
    if (Number.isFinite(seconds) && seconds > 0) return Math.min(seconds * 1000, 5 * 60_000);
  }
  return backoffMs(attempt, baseMs);
}

function backoffMs(attempt: number, baseMs: number): number {
  const capped = Math.min(30_000, baseMs * 2 ** (attempt - 1));
  return capped / 2 + Math.random() * (capped / 2);
}
