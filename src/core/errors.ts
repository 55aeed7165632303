/**
 * Errors the use cases understand. Adapters translate SDK errors into these so the core can decide
 * what a user sees without knowing which SDK failed.
 */

/** One line for a log: the error's name and message, or the thrown value as text. */
export function errorSummary(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * What a failed Slack call means to the use cases. The Slack adapter decides it from Slack's error
 * code (src/slack/slack-errors.ts), so the core never branches on wire codes:
 * - `not_a_member`: the bot is not in the channel, and could be invited;
 * - `conversation_hidden`: a private channel the bot is not in, or a DM between other people;
 * - `archived`: the channel is archived;
 * - `may_have_landed`: a timeout, a reset or a 5xx, after which a post may be in Slack anyway;
 * - `missing_scope`: the install lacks a scope the call needs;
 * - `other`: anything else.
 */
export type SlackFailureKind =
  | 'not_a_member'
  | 'conversation_hidden'
  | 'archived'
  | 'may_have_landed'
  | 'missing_scope'
  | 'other';

/** The kinds that mean the bot cannot post in the conversation at all (retrying cannot help). */
export type NotInConversationKind = Extract<
  SlackFailureKind,
  'not_a_member' | 'conversation_hidden' | 'archived'
>;

/**
 * A Slack Web API call failed. `kind` is what the core branches on; `code` is Slack's own error code
 * (e.g. `not_in_channel`), kept only to be logged, stored as a failure reason or quoted to the user.
 */
export class SlackError extends Error {
  constructor(
    readonly code: string,
    readonly method: string,
    readonly kind: SlackFailureKind,
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

/** The reason the bot cannot post in a conversation, when that is why a Slack call failed. */
export function notInConversation(error: unknown): NotInConversationKind | undefined {
  if (!(error instanceof SlackError)) return undefined;
  const { kind } = error;
  return kind === 'not_a_member' || kind === 'conversation_hidden' || kind === 'archived' ? kind : undefined;
}

/** True when a failed post may have landed, so it must be looked up (not posted again, not given up). */
export function mayHaveLanded(error: unknown): boolean {
  return error instanceof SlackError && error.kind === 'may_have_landed';
}
