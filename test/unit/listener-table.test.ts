import { describe, expect, it } from 'vitest';
import { ListenerTable } from '../../src/slack/listener-table.js';

/** The table stands in for the App in the register* functions: a call it cannot match like Bolt fails loudly. */
describe('listener table', () => {
  const app = new ListenerTable().asApp() as unknown as Record<string, (...args: unknown[]) => void>;
  const handler = async () => undefined;

  it('takes a string or a RegExp and one handler', () => {
    expect(() => app.action?.('adopt_checks', handler)).not.toThrow();
    expect(() => app.action?.(/^check_alert_(ack|fp)$/, handler)).not.toThrow();
  });

  it('refuses a constraints object, a stateful RegExp, or middleware before the handler', () => {
    expect(() => app.action?.({ block_id: 'b' }, handler)).toThrow(/one string or RegExp pattern/);
    expect(() => app.view?.(/x/g, handler)).toThrow(/one string or RegExp pattern/);
    expect(() => app.action?.('x', async () => undefined, handler)).toThrow(/one handler/);
  });
});
