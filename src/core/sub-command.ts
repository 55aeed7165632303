/**
 * A `/data-engineer <name> …` sub-command. Each feature defines its own next to its use cases and
 * registers it in src/core/command-registry.ts; the listener dispatches by name and the help and
 * usage texts are generated from these fields.
 */
export interface SubCommand<Args, Deps> {
  /** The first word after `/data-engineer` (matched in any case). */
  name: string;
  /** One line per form, each `` `/data-engineer …` `` and what it does; listed in help and usage. */
  usage: readonly string[];
  /** A closing line of the usage text (e.g. the accepted values). */
  usageNote?: string;
  /**
   * The words after the name (a Slack mention token is one word). Undefined: not this command after
   * all, the text is a task (e.g. "owners table needs a history"); `invalid` answers the user privately.
   */
  parse(args: string[]): Args | InvalidCommand | undefined;
  /**
   * The private answer. A string, or `inAck` (reads of the store), is sent with Slack's
   * acknowledgement; a promise (Slack calls, slow queries) is answered after it, through the command's
   * response_url.
   */
  run(deps: Deps, context: CommandContext, args: Args): string | Promise<string> | InAck;
}

/** An answer read from the store alone: awaited, then sent with Slack's acknowledgement. */
export interface InAck {
  inAck: Promise<string>;
}

export function inAck(answer: Promise<string>): InAck {
  return { inAck: answer };
}

export interface InvalidCommand {
  kind: 'invalid';
  message: string;
}

/** Who ran the command, where. */
export interface CommandContext {
  teamId: string;
  channelId: string;
  userId: string;
}

/** "Owners commands:" and one bullet per form: what a mistyped command is told. */
export function usageText(command: Pick<SubCommand<unknown, never>, 'name' | 'usage' | 'usageNote'>): string {
  const title = `${command.name.charAt(0).toUpperCase()}${command.name.slice(1)} commands:`;
  return [
    title,
    ...command.usage.map((line) => `• ${line}`),
    ...(command.usageNote ? [command.usageNote] : []),
  ].join('\n');
}

/** Keeps `run`'s deps and args typed per command while the registry holds them side by side. */
export function defineSubCommand<Args, Deps>(command: SubCommand<Args, Deps>): SubCommand<Args, Deps> {
  return command;
}
