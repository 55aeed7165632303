import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver } from '@slack/bolt';
import { silentLogger } from '../test/support/silent-logger.js';

/** The baseline: a Bolt app on the same kind of HTTP listener that only verifies and acks commands and events. */
export async function startBareBolt(signingSecret: string): Promise<{ url: string; close(): Promise<void> }> {
  const logger = silentLogger;
  const receiver = new HTTPReceiver({ signingSecret, endpoints: '/slack/events', logger });
  const app = new App({
    receiver,
    token: 'xoxb-bare',
    botId: 'B0BARE',
    botUserId: 'U0BARE',
    tokenVerificationEnabled: false,
    logger,
  });
  app.command(/.*/, async ({ ack }) => {
    await ack();
  });
  // Bolt acks events itself, before this runs.
  app.event('app_mention', async () => {});
  const server = createServer(receiver.requestListener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
