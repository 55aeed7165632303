import { type Logger as BoltLogger, SocketModeReceiver } from '@slack/bolt';
import type { SlackSettings } from './bolt-app.js';

/** How Socket Mode connects; production uses the defaults. */
export interface SocketModeOptions {
  /**
   * How long the client waits for a pong, and so also how long it waits before it reconnects after
   * Slack asks it to (a `disconnect` frame). Default: the SDK's 5 s; tests use a few milliseconds.
   */
  reconnectMs?: number;
}

/**
 * The Socket Mode receiver (used when SLACK_APP_TOKEN is set). Bolt's `clientOptions` do not reach
 * the Socket Mode client, which calls `apps.connections.open` with its own WebClient: SLACK_API_URL
 * goes in through `installerOptions.clientOptions`, the one path SocketModeReceiver hands on to it
 * (@slack/bolt 5.1 src/receivers/SocketModeReceiver.ts). Without it a bot pointed at another API URL
 * (a proxy, a test fake) would still open its socket at slack.com.
 */
export function createSocketModeReceiver(
  settings: SlackSettings,
  logger: BoltLogger,
  options: SocketModeOptions = {},
): SocketModeReceiver {
  return new SocketModeReceiver({
    appToken: settings.appToken ?? '',
    logger,
    clientPingTimeout: options.reconnectMs,
    installerOptions: { clientOptions: { slackApiUrl: settings.apiUrl } },
  });
}
