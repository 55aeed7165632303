import type { WebClient } from '@slack/web-api';
import { isValidTimeZone } from '../core/digest/schedule.js';
import { errorSummary } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { slackErrorCode } from './slack-errors.js';
import type { SlackGateway } from './slack-gateway.js';

/** Who the bot is in Slack, checked once at start-up. */

/** Errors from auth.test that no amount of retrying fixes. */
const FATAL_AUTH_CODES = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
]);

/** A start-up problem the operator must fix (printed as one line, no stack). */
export class StartupError extends Error {}

export interface SlackIdentity {
  botUserId: string;
  botId: string;
  teamId: string;
  /** The workspace's web address, e.g. https://acme.slack.com/ */
  url: string | undefined;
}

export async function checkSlackToken(client: WebClient): Promise<SlackIdentity> {
  try {
    const result = await client.auth.test();
    if (!result.user_id || !result.bot_id || !result.team_id) {
      throw new StartupError(
        'SLACK_BOT_TOKEN is not a bot token (auth.test returned no bot id). Use the xoxb- token.',
      );
    }
    return { botUserId: result.user_id, botId: result.bot_id, teamId: result.team_id, url: result.url };
  } catch (error) {
    if (error instanceof StartupError) throw error;
    const code = slackErrorCode(error);
    if (code && FATAL_AUTH_CODES.has(code)) {
      throw new StartupError(
        `Slack rejected SLACK_BOT_TOKEN (${code}). Copy the current Bot User OAuth Token from your app's "OAuth & Permissions" page.`,
      );
    }
    throw new StartupError(
      `Could not reach Slack to check SLACK_BOT_TOKEN (${code ?? errorSummary(error)}). Is SLACK_API_URL right?`,
    );
  }
}

/**
 * DIGEST_TIMEZONE unset: the workspace's zone as Slack reports it on the bot user's profile, else UTC.
 */
export async function workspaceTimeZone(
  slack: SlackGateway,
  botUserId: string,
  logger: Logger,
): Promise<string> {
  try {
    const zone = (await slack.getUser(botUserId))?.timeZone;
    if (zone && isValidTimeZone(zone)) return zone;
  } catch (error) {
    logger.warn('could not read the workspace time zone; digests use UTC', { error: errorSummary(error) });
  }
  return 'UTC';
}
