import { type Logger, LogLevel } from '@slack/web-api';

/** A Slack logger (WebClient, Bolt) that drops everything: for errors a test or benchmark provokes on purpose. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};
