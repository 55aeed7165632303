import type { LogLevel } from './config.js';
import type { Logger } from './core/logger.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string) => void;

/** Blanks every configured secret (six characters or more) in a text: log lines, and what main prints. */
export function redactor(secrets: readonly (string | undefined)[] = []): (text: string) => string {
  const known = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6);
  return (text) => known.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/**
 * Structured JSON logs, one object per line. Every line passes through a redactor that blanks the
 * configured secrets (tokens, signing secret, API key) wherever they appear, so a careless field or
 * an SDK error message that echoes a token can never leak it.
 */
export function createLogger(options: {
  level: LogLevel;
  secrets?: readonly (string | undefined)[];
  sink?: LogSink;
  fields?: Record<string, unknown>;
}): Logger {
  const redact = redactor(options.secrets);
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const threshold = ORDER[options.level];

  const make = (bound: Record<string, unknown>): Logger => {
    const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
      if (ORDER[level] < threshold) return;
      const entry = { time: new Date().toISOString(), level, msg, ...bound, ...fields };
      sink(redact(JSON.stringify(entry, errorReplacer)));
    };
    return {
      debug: (msg, fields) => write('debug', msg, fields),
      info: (msg, fields) => write('info', msg, fields),
      warn: (msg, fields) => write('warn', msg, fields),
      error: (msg, fields) => write('error', msg, fields),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make(options.fields ?? {});
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
