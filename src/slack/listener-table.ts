import type { App } from '@slack/bolt';

type Kind = 'command' | 'event' | 'action' | 'view';
type Pattern = string | RegExp;
/** A listener as the register* functions wrote it for Bolt; it is given Bolt's own arguments. */
type Handler = (args: never) => Promise<unknown>;
interface Entry {
  pattern: Pattern;
  handler: Handler;
}

/**
 * Bolt runs every registered listener's matcher chain for every request (an object spread and a
 * promise per matcher step, for each listener), and the bot has thirteen listeners: measured, that
 * took Bolt's dispatch of one slash command from ≈ 50 µs (bare Bolt, two listeners) to ≈ 170 µs, on
 * the ack path of every request. The register* functions write their listeners here with the same
 * calls as on the App (`command`, `event`, `action`, `view`); Bolt gets one listener per kind, which
 * hands each request to the listeners whose pattern matches, by Bolt's own rules: the command name,
 * the event type, a block action's `action_id`, a `view_submission`'s `callback_id`, each equal to a
 * string pattern or matched by a RegExp. Same listeners and arguments over HTTP and Socket Mode.
 */
export class ListenerTable {
  private readonly entries: Record<Kind, Entry[]> = { command: [], event: [], action: [], view: [] };

  /** What the register* functions are given in place of the App: its four registration calls. */
  asApp(): App {
    // Only what the table matches like Bolt: a string or a RegExp without `g`/`y` (their test() keeps
    // state), and exactly one handler. Anything else would be dropped or mismatched silently: refuse it.
    const add =
      (kind: Kind) =>
      (...args: unknown[]) => {
        const [pattern, handler] = args;
        const matchable =
          typeof pattern === 'string' || (pattern instanceof RegExp && !pattern.global && !pattern.sticky);
        if (args.length !== 2 || !matchable || typeof handler !== 'function') {
          throw new Error(`listener table: ${kind} takes one string or RegExp pattern and one handler`);
        }
        this.entries[kind].push({ pattern: pattern as Pattern, handler: handler as Handler });
      };
    const registrations = {
      command: add('command'),
      event: add('event'),
      action: add('action'),
      view: add('view'),
    };
    return registrations as unknown as App;
  }

  /** Registers one Bolt listener per kind that has listeners. */
  mount(app: App): void {
    const { command, event, action, view } = this.entries;
    if (command.length > 0) app.command(/.*/, (args) => dispatch(command, args.command.command, args));
    if (event.length > 0) app.event(/.*/, (args) => dispatch(event, args.event.type, args));
    // Bolt's RegExp constraint admits block actions only (with an action_id), as each listener's did.
    if (action.length > 0)
      app.action(/.*/, (args) =>
        dispatch(action, 'action_id' in args.action ? args.action.action_id : undefined, args),
      );
    // A string or RegExp callback_id means a view_submission to Bolt: the same here.
    if (view.length > 0) app.view(/.*/, (args) => dispatch(view, args.view.callback_id, args));
  }
}

/** Runs every listener that matches, together, as Bolt does; a listener's failure reaches app.error. */
async function dispatch(entries: Entry[], name: string | undefined, args: unknown): Promise<void> {
  if (name === undefined) return;
  const matching = entries.filter(({ pattern }) =>
    typeof pattern === 'string' ? pattern === name : pattern.test(name),
  );
  if (matching.length === 1) {
    await matching[0]?.handler(args as never);
    return;
  }
  const results = await Promise.allSettled(matching.map(({ handler }) => handler(args as never)));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'several Slack listeners failed');
}
