import { performance } from 'node:perf_hooks';
import type { App, ReceiverEvent } from '@slack/bolt';
import { type AckKind, type Metrics, NO_METRICS } from '../core/metrics.js';

const KIND_BY_TYPE: Readonly<Record<string, AckKind>> = {
  event_callback: 'event',
  block_actions: 'action',
  interactive_message: 'action',
  view_submission: 'view',
  view_closed: 'view',
  block_suggestion: 'options',
  dialog_suggestion: 'options',
  shortcut: 'shortcut',
  message_action: 'shortcut',
};

/** What Slack sent, from the parsed body: a slash command has `command`, the rest a `type`. */
export function ackKind(body: unknown): AckKind {
  if (typeof body !== 'object' || body === null) return 'other';
  const { type, command } = body as { type?: unknown; command?: unknown };
  if (typeof command === 'string') return 'command';
  return (typeof type === 'string' && KIND_BY_TYPE[type]) || 'other';
}

/**
 * Times every request from the receiver handing it to the app to its ack, by kind: the outermost
 * wrapper, so an event's ack is counted when ackEventsWhenStored sends it (after its durable write).
 * A request that fails before any ack counts as `error`. One clock read and one histogram observe per
 * request, no I/O; with metrics off the app is returned as it is.
 */
export function measureAcks(app: App, metrics: Metrics): App {
  if (metrics === NO_METRICS) return app;
  const processEvent = async (event: ReceiverEvent): Promise<void> => {
    const startedAt = performance.now();
    const kind = ackKind(event.body);
    let acked = false;
    const ack: ReceiverEvent['ack'] = async (response) => {
      acked = true;
      try {
        await event.ack(response);
      } catch (error) {
        metrics.ack(kind, 'error', (performance.now() - startedAt) / 1000);
        throw error;
      }
      metrics.ack(kind, 'ok', (performance.now() - startedAt) / 1000);
    };
    try {
      await app.processEvent({ ...event, ack });
    } catch (error) {
      if (!acked) metrics.ack(kind, 'error', (performance.now() - startedAt) / 1000);
      throw error;
    }
  };
  return { processEvent } as unknown as App;
}
