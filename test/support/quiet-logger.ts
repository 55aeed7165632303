import type { Logger } from '../../src/core/logger.js';

/** A core Logger that drops everything: for tests whose subject logs on purpose (failures it provokes). */
export const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => quietLogger,
};
