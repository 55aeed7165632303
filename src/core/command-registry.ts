import { designsSubCommand } from './artifacts/designs-command.js';
import { ownersSubCommand } from './collaboration/owner-commands.js';
import { requestsSubCommand } from './collaboration/request-status.js';
import { auditSubCommand } from './data-sources/audit-command.js';
import { contextSubCommand } from './data-sources/context-command.js';
import { sourcesSubCommand } from './data-sources/sources-command.js';
import { digestSubCommand } from './digest/digest-commands.js';
import { checksSubCommand } from './quality-monitor/checks-command.js';
import type { SubCommand } from './sub-command.js';
import { usageSubCommand } from './tasks/usage-command.js';

/**
 * Every `/data-engineer` sub-command, in the order help lists them. Add one with a file that exports a
 * `defineSubCommand(…)` and one line here; its deps join `SubCommandDeps`, which the app must provide.
 */
export const SUB_COMMANDS = [
  ownersSubCommand,
  requestsSubCommand,
  digestSubCommand,
  usageSubCommand,
  designsSubCommand,
  checksSubCommand,
  sourcesSubCommand,
  contextSubCommand,
  auditSubCommand,
] as const;

// biome-ignore lint/suspicious/noExplicitAny: any Args; only the deps are collected.
type DepsOf<Command> = Command extends SubCommand<any, infer Deps> ? Deps : never;
type Intersection<Union> = (Union extends unknown ? (x: Union) => void : never) extends (x: infer All) => void
  ? All
  : never;

/** What the registered sub-commands need, together: the listener's deps must include all of it. */
export type SubCommandDeps = Intersection<DepsOf<(typeof SUB_COMMANDS)[number]>>;

/** A registered sub-command with its own types erased: `parse`'s result is only ever passed to its `run`. */
export type RegisteredSubCommand = SubCommand<unknown, SubCommandDeps>;
