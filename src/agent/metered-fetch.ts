import Anthropic from '@anthropic-ai/sdk';
import type { Metrics, ModelErrorStatus } from '../core/metrics.js';
import { StalledStreamError } from './claude-errors.js';

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** An HTTP status as the model-error metric groups it. */
export function modelErrorStatus(status: number): ModelErrorStatus {
  if (status === 429) return '429';
  if (status === 529) return '529';
  if (status >= 500) return '5xx';
  return 'other';
}

/**
 * The fetch the Anthropic SDK sends every request through (each of its own retries too): counts every
 * failed response by status and every SDK retry (its `X-Stainless-Retry-Count` header), so a 529 the
 * SDK retried and then got past still shows. A request we aborted (Stop, shutdown) is no error.
 */
export function meteredFetch(model: string, metrics: Metrics, inner: Fetch = fetch): Fetch {
  return async (input, init) => {
    const retry = Number(new Headers(init?.headers).get('x-stainless-retry-count') ?? 0);
    if (retry > 0) metrics.modelRetry(model, 'sdk');
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      if (!init?.signal?.aborted) metrics.modelError(model, 'other');
      throw error;
    }
    if (response.status >= 400) metrics.modelError(model, modelErrorStatus(response.status));
    return response;
  };
}

/**
 * A failure that came after a 200 (the fetch above saw no error): an `error` event in the stream
 * (`overloaded_error` is a 529 sent mid-stream) or a stream that went silent. Undefined for failures
 * the fetch already counted.
 */
export function midStreamErrorStatus(error: unknown): ModelErrorStatus | undefined {
  if (error instanceof StalledStreamError) return 'other';
  if (error instanceof Anthropic.APIUserAbortError) return undefined;
  if (error instanceof Anthropic.APIError && error.status === undefined) {
    if (error.type === 'overloaded_error') return '529';
    if (error.type === 'api_error') return '5xx';
    return error instanceof Anthropic.APIConnectionError ? undefined : 'other';
  }
  return undefined;
}
