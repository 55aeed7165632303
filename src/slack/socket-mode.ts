import { type Logger as BoltLogger, SocketModeReceiver } from '@slack/bolt';
import type { SlackSettings } from './bolt-app.js';
import { slackErrorCode } from './slack-errors.js';
import { StartupError } from './slack-identity.js';

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

/** apps.connections.open refusals that no retry fixes: the app-level token itself is wrong. */
const REFUSED_APP_TOKEN = new Set([
  'invalid_auth',
  'not_authed',
  'not_allowed_token_type',
  'account_inactive',
  'token_revoked',
  'token_expired',
]);

/** A Socket Mode start that failed, said in the operator's terms (which variable, what to do). */
export function socketModeStartError(error: unknown): unknown {
  const code = slackErrorCode(error);
  if (!code || !REFUSED_APP_TOKEN.has(code)) return error;
  return new StartupError(
    `Slack refused SLACK_APP_TOKEN (${code}) when opening the Socket Mode connection. Generate an app-level token with the connections:write scope ("Basic Information" → App-Level Tokens), or unset SLACK_APP_TOKEN for HTTP mode.`,
  );
}
