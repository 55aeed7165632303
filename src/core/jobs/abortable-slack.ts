import { abortReason, JobAbortedError } from '../errors.js';
import type { AnswerStreamer } from '../slack-roles.js';

/**
 * Checks run before each Slack call of a job, by its signal: the job's worker looks whether the job
 * is still surely its own (its heartbeat and lease fresh) and aborts the signal if not. Timers alone
 * could come too late: after an event-loop stall, the job's own continuation may run before them.
 */
const preCallChecks = new WeakMap<AbortSignal, () => void>();

/** Registers `check` to run before every Slack call made through `abortableSlack(…, signal)`. */
export function checkBeforeSlackCalls(signal: AbortSignal, check: () => void): void {
  preCallChecks.set(signal, check);
}

export interface AbortableSlackOptions {
  /**
   * Calls go on after a Stop (not after a lost lease or a shutdown): for work that follows a
   * finished answer (its pings) or that says the answer was stopped.
   */
  allowAfterStop?: boolean;
}

/**
 * The Slack port as a job sees it: once the job's signal aborts (lease lost, shutdown, Stop), every
 * call is refused before it reaches Slack and messages being written stop, so an aborted job writes
 * nothing more. The status line is best effort and never throws, so it just does nothing.
 */
export function abortableSlack<Slack extends object>(
  slack: Slack,
  signal: AbortSignal,
  options: AbortableSlackOptions = {},
): Slack {
  const refused = () => {
    preCallChecks.get(signal)?.();
    const reason = abortReason(signal);
    if (!reason || (options.allowAfterStop && reason.kind === 'stopped')) return undefined;
    return new JobAbortedError(reason);
  };
  return new Proxy(slack, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (prop === 'messageLink') return method.bind(target);
      if (prop === 'openMessage') {
        return (...args: unknown[]) => {
          const error = refused();
          if (error) throw error;
          const [target_, events, options_] = args as Parameters<AnswerStreamer['openMessage']>;
          const streamer = target as unknown as AnswerStreamer;
          // Work allowed after a Stop brings its own signal (or none): the Stop must not cut it.
          if (options.allowAfterStop) return streamer.openMessage(target_, events, options_);
          return streamer.openMessage(target_, events, { ...options_, signal });
        };
      }
      if (prop === 'setStatus') {
        return (...args: unknown[]) => (refused() ? Promise.resolve() : method.apply(target, args));
      }
      return (...args: unknown[]) => {
        const error = refused();
        return error ? Promise.reject(error) : method.apply(target, args);
      };
    },
  });
}
