import type { App, ReceiverEvent } from '@slack/bolt';

/** What an event listener reports back: its durable write failed, so the event must not be acked. */
export interface EventDelivery {
  failed: boolean;
}

const DELIVERY = 'eventDelivery';

/** The delivery record of the event being handled (undefined outside the Events API). */
export function eventDelivery(context: Record<string, unknown>): EventDelivery | undefined {
  return context[DELIVERY] as EventDelivery | undefined;
}

/**
 * Bolt acknowledges an Events API request before any listener runs, so a crash or a SQLite error right
 * after the ack loses the message (Slack never sends it again). Placed between the HTTP receiver and
 * the app, this holds the ack of an `event_callback` until the listeners have finished their durable
 * part (they resolve once the delivery is committed; slow work continues in the background): then it
 * answers 200, or, when a listener reported a failed write, lets the request fail (HTTP 500) so that
 * Slack retries it. Commands and interactions are unchanged: their listeners ack themselves after
 * their own writes.
 */
export function ackEventsWhenStored(app: App): App {
  const processEvent = async (event: ReceiverEvent): Promise<void> => {
    if ((event.body as { type?: unknown }).type !== 'event_callback') return app.processEvent(event);
    const delivery: EventDelivery = { failed: false };
    await app.processEvent({
      ...event,
      // Bolt's own immediate ack is held back…
      ack: async () => undefined,
      customProperties: { ...event.customProperties, [DELIVERY]: delivery },
    });
    // …and sent here, after the listeners (or replaced by a 500 that makes Slack deliver it again).
    if (delivery.failed) throw new Error('the event could not be stored; Slack will deliver it again');
    await event.ack();
  };
  return { processEvent } as unknown as App;
}
