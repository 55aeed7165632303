import type { ParseOutcome } from '../sandbox/sandbox.js';
import { lineAt } from '../sandbox/split-sql.js';

/**
 * Why this file exists: JSON blocks are checked with the JavaScript engine's own JSON parser, in the bot's
 * process (it costs nothing to load). V8 says where it stopped as a character position; we turn it into
 * the block's line. Pure.
 */

function errorLine(text: string, message: string): number | undefined {
  const explicit = /\(line (\d+) column \d+\)/.exec(message);
  if (explicit) return Number(explicit[1]);
  const position = /at position (\d+)/.exec(message);
  if (position) return lineAt(text, Number(position[1]));
  if (/Unexpected end of JSON input/.test(message)) return lineAt(text, text.trimEnd().length);
  return undefined;
}

export function checkJson(text: string): ParseOutcome {
  try {
    JSON.parse(text);
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const line = errorLine(text, message);
    const first = message
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/ at position \d+.*$/, '')
      .replace(/ in JSON$/, '');
    return { ok: false, error: first.slice(0, 300), ...(line === undefined ? {} : { line }) };
  }
}

/** JSON Lines: every non-blank line is one JSON value. */
export function checkJsonLines(text: string): ParseOutcome {
  const lines = text.split('\n');
  for (const [n, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const outcome = checkJson(line);
    if (outcome.ok === false) return { ...outcome, line: n + 1 };
  }
  return { ok: true };
}
