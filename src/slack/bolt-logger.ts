import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../core/logger.js';

/** Bolt's levels, quietest last: a message is written when its level is at or after the current one. */
const ORDER = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];
const rank = (level: LogLevel) => ORDER.indexOf(level);

/**
 * Lets Bolt and the Web API client write through our structured, secret-redacting logger, at the level
 * Bolt is given and no lower: the SDKs' debug output carries whole payloads (a Socket Mode envelope's
 * `response_url` and `trigger_id`, the connection URL with its ticket), which are capabilities, not
 * log lines.
 */
export function toBoltLogger(logger: Logger, level: LogLevel = LogLevel.INFO): BoltLogger {
  let current = level;
  const text = (parts: unknown[]) =>
    parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  const log = logger.child({ component: 'bolt' });
  return {
    debug: (...msg) => {
      if (rank(current) <= rank(LogLevel.DEBUG)) log.debug(text(msg));
    },
    info: (...msg) => {
      if (rank(current) <= rank(LogLevel.INFO)) log.info(text(msg));
    },
    warn: (...msg) => log.warn(text(msg)),
    error: (...msg) => log.error(text(msg)),
    setLevel: (next) => {
      current = next;
    },
    getLevel: () => current,
    setName: () => undefined,
  };
}
