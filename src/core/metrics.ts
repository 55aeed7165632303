import type { Usage } from './domain.js';

/**
 * What the bot counts for its operators (Prometheus, src/metrics/): the core and the adapters report
 * events here, the adapter outside the core turns them into metrics. Every label is from a closed set
 * or from our own code (a Web API method, a configured model, a tool name we define); none carries a
 * workspace, channel or user id, or any text a person wrote. With metrics off, NO_METRICS: nothing
 * is recorded and nothing is loaded.
 */

/** The kind of request Slack sent, as Bolt dispatches it. */
export type AckKind = 'command' | 'event' | 'action' | 'view' | 'options' | 'shortcut' | 'other';
/** `ok`: acknowledged; `error`: the request failed before its ack (Slack retries or shows an error). */
export type AckOutcome = 'ok' | 'error';
/** A failed Claude response, by the statuses an operator acts on differently. */
export type ModelErrorStatus = '429' | '529' | '5xx' | 'other';
/** Who retried a Claude request: the SDK (same request) or the bot (the whole stream again). */
export type ModelRetryLayer = 'sdk' | 'stream';
export type SlackRetryReason = 'rate_limited' | 'transient';
/** How one answer (a model turn of a task) ended. */
export type AnswerOutcome = 'completed' | 'waiting' | 'failed' | 'stopped';
/** How one scheduled data-quality check run ended. */
export type CheckRunOutcome = 'passed' | 'failed' | 'error' | 'skipped';
/** What one channel's scheduled digest did on a day (src/core/digest/scheduled-digest.ts). */
export type DigestOutcome = 'posted' | 'empty' | 'unchanged' | 'skipped' | 'failed';

/** The job queue as a scrape sees it (JobQueue.stats). */
export interface QueueStats {
  /** Jobs ready to run now, not taken yet. */
  queued: number;
  /** Jobs a worker holds (its lease may have expired: a dead process's job waits for takeover). */
  running: number;
  /** Queued jobs not ready yet: a retry's backoff, or behind a running job of the same task. */
  waiting: number;
  /** How long the oldest ready job has been ready, in ms (0 with none). */
  oldestReadyAgeMs: number;
}

export interface Metrics {
  /** `seconds`: from the request reaching Bolt's dispatch to its ack. */
  ack(kind: AckKind, outcome: AckOutcome, seconds: number): void;
  /** One Web API call (each attempt); `errorCode` is Slack's (`ratelimited`, `channel_not_found`, …). */
  slackCall(method: string, errorCode: string | undefined): void;
  slackRetry(method: string, reason: SlackRetryReason): void;
  /** One streamed model request (one attempt, the SDK's own retries included), to its end. */
  modelRequest(model: string, outcome: 'ok' | 'error', seconds: number): void;
  /** From the start of a model request to its first text token. */
  modelFirstToken(model: string, seconds: number): void;
  modelTokens(model: string, usage: Usage): void;
  modelError(model: string, status: ModelErrorStatus): void;
  modelRetry(model: string, layer: ModelRetryLayer): void;
  /** A job's first start, `seconds` after it was queued (ready to run). */
  jobStarted(delaySeconds: number): void;
  answerFinished(outcome: AnswerOutcome): void;
  /** A tool call of the model; names outside our tools count as `unknown`. */
  toolCalled(tool: string): void;
  checkRun(outcome: CheckRunOutcome): void;
  digestRun(outcome: DigestOutcome): void;
}

const nothing = () => undefined;

/** Metrics off: every report is a no-op. */
export const NO_METRICS: Metrics = Object.freeze({
  ack: nothing,
  slackCall: nothing,
  slackRetry: nothing,
  modelRequest: nothing,
  modelFirstToken: nothing,
  modelTokens: nothing,
  modelError: nothing,
  modelRetry: nothing,
  jobStarted: nothing,
  answerFinished: nothing,
  toolCalled: nothing,
  checkRun: nothing,
  digestRun: nothing,
});
