import { z } from 'zod';
import { type RegisteredSubCommand, SUB_COMMANDS } from './command-registry.js';
import { HELP_INTRO, HELP_TIP, TASK_TOO_LONG_TEXT } from './messages.js';
import type { InvalidCommand } from './sub-command.js';

export const MAX_TASK_CHARS = 8_000;

/** Where `/data-engineer <text>` goes: help, a registered sub-command (by its first word), or a task. */
export type CommandRoute =
  | { kind: 'help' }
  | { kind: 'task'; text: string }
  | InvalidCommand
  | { kind: 'sub-command'; command: RegisteredSubCommand; args: unknown };

const commandText = z
  .string()
  .transform((text) => text.trim())
  .pipe(z.string().max(MAX_TASK_CHARS, { message: TASK_TOO_LONG_TEXT }));

const COMMANDS: readonly RegisteredSubCommand[] = SUB_COMMANDS;

/** What the user typed after `/data-engineer`, routed by its first word. */
export function routeCommand(raw: string): CommandRoute {
  const parsed = commandText.safeParse(raw);
  if (!parsed.success)
    return { kind: 'invalid', message: parsed.error.issues[0]?.message ?? TASK_TOO_LONG_TEXT };
  const text = parsed.data;
  if (text === '' || /^(help|\?|-h|--help)$/i.test(text)) return { kind: 'help' };
  const [first = '', ...args] = tokens(text);
  const command = COMMANDS.find((c) => c.name === first.toLowerCase());
  const result = command?.parse(args);
  if (!command || result === undefined) return { kind: 'task', text };
  if (isInvalid(result)) return result;
  return { kind: 'sub-command', command, args: result };
}

/** The route as data: a sub-command's own parsed arguments (e.g. `{ kind: 'owners-show' }`). */
export function parseCommandText(raw: string): { kind: string; [field: string]: unknown } {
  const route = routeCommand(raw);
  return (route.kind === 'sub-command' ? route.args : route) as { kind: string };
}

function isInvalid(value: unknown): value is InvalidCommand {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'invalid';
}

/** Words, keeping a Slack mention token (`<@U1|Ana Smith>`) whole even if its label has spaces. */
function tokens(text: string): string[] {
  return text.match(/<[^<>]*>|\S+/g) ?? [];
}

/** `/data-engineer help`: how to ask, then every registered sub-command's usage lines. */
export const HELP_TEXT = [
  ...HELP_INTRO,
  '',
  '*Commands:*',
  ...COMMANDS.flatMap((command) => command.usage.map((line) => `• ${line}`)),
  '',
  HELP_TIP,
].join('\n');
