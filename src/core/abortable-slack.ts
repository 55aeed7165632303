import { abortReason, JobAbortedError } from './errors.js';
import type { SlackPort } from './ports.js';

/**
 * The Slack port as a job sees it: once the job's signal aborts (lease lost, shutdown, Stop), every
 * call is refused before it reaches Slack and messages being written stop, so an aborted job writes
 * nothing more. The status line is best effort and never throws, so it just does nothing.
 */
export function abortableSlack(slack: SlackPort, signal: AbortSignal): SlackPort {
  const refused = () => {
    const reason = abortReason(signal);
    return reason ? new JobAbortedError(reason) : undefined;
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
          const [target_, events, options] = args as Parameters<SlackPort['openMessage']>;
          return target.openMessage(target_, events, { ...options, signal });
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
