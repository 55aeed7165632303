import { LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { toBoltLogger } from '../../src/slack/bolt-logger.js';

/** A logger that records what reaches it, at the bot's own LOG_LEVEL=debug (it would write all of it). */
function recording(lines: string[]): Logger {
  const logger: Logger = {
    debug: (msg) => lines.push(`debug ${msg}`),
    info: (msg) => lines.push(`info ${msg}`),
    warn: (msg) => lines.push(`warn ${msg}`),
    error: (msg) => lines.push(`error ${msg}`),
    child: () => logger,
  };
  return logger;
}

describe('the SDKs’ logger', () => {
  it('drops the SDKs’ debug and info output below its level, even when the bot logs at debug', () => {
    const lines: string[] = [];
    const bolt = toBoltLogger(recording(lines), LogLevel.WARN);
    // What the Socket Mode client writes at debug: a whole envelope, with its response_url.
    bolt.debug('received', { envelope_id: 'e1', payload: { response_url: 'https://hooks.slack.com/x' } });
    bolt.info('connected to wss://wss-primary.slack.com/link/?ticket=secret');
    bolt.warn('slow');
    bolt.error('broken');
    expect(lines).toEqual(['warn slow', 'error broken']);
  });

  it('follows setLevel', () => {
    const lines: string[] = [];
    const bolt = toBoltLogger(recording(lines), LogLevel.WARN);
    bolt.setLevel(LogLevel.DEBUG);
    bolt.debug('now shown');
    expect(lines).toEqual(['debug now shown']);
    expect(bolt.getLevel()).toBe(LogLevel.DEBUG);
  });
});
