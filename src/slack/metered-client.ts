import { type WebAPICallResult, WebClient, type WebClientOptions } from '@slack/web-api';
import type { Metrics, SlackRetryReason } from '../core/metrics.js';
import { slackErrorCode } from './slack-errors.js';

/** Which call a failure came from, so the retry policy (src/slack/slack-calls.ts) can count its retry by method. */
const failedCalls = new WeakMap<object, { method: string; metrics: Metrics }>();

/**
 * The WebClient with every Web API call counted, by method and Slack's error code. Every method of the
 * client (`chat.postMessage`, pagination, the steps of `files.uploadV2`) goes through `apiCall`, bound
 * when the client is built, so overriding it here sees each attempt. Used only with metrics on.
 */
export class MeteredWebClient extends WebClient {
  constructor(
    token: string | undefined,
    options: WebClientOptions,
    private readonly metrics: Metrics,
  ) {
    super(token, options);
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    try {
      const result = await super.apiCall(method, options);
      this.metrics.slackCall(method, undefined);
      return result;
    } catch (error) {
      this.metrics.slackCall(method, slackErrorCode(error) ?? 'unknown_error');
      if (typeof error === 'object' && error !== null)
        failedCalls.set(error, { method, metrics: this.metrics });
      throw error;
    }
  }
}

/** A failed call is being repeated: counted under its method when it came from a MeteredWebClient. */
export function countSlackRetry(error: unknown, reason: SlackRetryReason): void {
  if (typeof error !== 'object' || error === null) return;
  const call = failedCalls.get(error);
  call?.metrics.slackRetry(call.method, reason);
}
