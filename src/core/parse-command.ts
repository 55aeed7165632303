import { z } from 'zod';
import { TASK_TOO_LONG_TEXT } from './messages.js';

export const MAX_TASK_CHARS = 8_000;

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'task'; text: string }
  | { kind: 'invalid'; message: string };

const commandText = z
  .string()
  .transform((text) => text.trim())
  .pipe(z.string().max(MAX_TASK_CHARS, { message: TASK_TOO_LONG_TEXT }));

/** What the user typed after `/data-engineer`. */
export function parseCommandText(raw: string): ParsedCommand {
  const parsed = commandText.safeParse(raw);
  if (!parsed.success)
    return { kind: 'invalid', message: parsed.error.issues[0]?.message ?? TASK_TOO_LONG_TEXT };
  const text = parsed.data;
  if (text === '' || /^(help|\?|-h|--help)$/i.test(text)) return { kind: 'help' };
  return { kind: 'task', text };
}
