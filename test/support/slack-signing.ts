import { createHmac, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { FAKE_BOT_USER_ID, FAKE_TEAM_ID } from './fake-slack.js';

/**
 * Builds and signs requests exactly as Slack sends them to an app (slash commands, Events API), so
 * end-to-end tests go through the app's real signature verification.
 */

/** Slack's published signing example (api.slack.com/authentication/verifying-requests-from-slack). */
export const SLACK_SIGNING_EXAMPLE = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: 1531420618,
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
    '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
    '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
    '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
} as const;

/** The (deprecated) verification token and app id the fake workspace puts in every payload. */
const VERIFICATION_TOKEN = 'fakeVerificationToken0001';
const APP_ID = 'A0FAKEAPP1';

let sequence = 0;
const next = () => {
  sequence += 1;
  return sequence;
};

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`, keyed by the signing secret as a UTF-8 string. */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestampSec = Math.floor(Date.now() / 1000),
): { 'x-slack-request-timestamp': string; 'x-slack-signature': string } {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestampSec), 'x-slack-signature': `v0=${digest}` };
}

/** A slash-command body, form-encoded with Slack's field order (reference §3). */
export function slashCommandBody(fields: {
  text: string;
  user_id?: string;
  channel_id?: string;
  team_id?: string;
  response_url: string;
  trigger_id?: string;
  command?: string;
  channel_name?: string;
  user_name?: string;
}): string {
  const n = next();
  return new URLSearchParams({
    token: VERIFICATION_TOKEN,
    team_id: fields.team_id ?? FAKE_TEAM_ID,
    team_domain: 'fake-workspace',
    channel_id: fields.channel_id ?? 'C0GENERAL1',
    channel_name: fields.channel_name ?? 'general',
    user_id: fields.user_id ?? 'U0USER0001',
    user_name: fields.user_name ?? 'ana',
    command: fields.command ?? '/data-engineer',
    text: fields.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? `${Date.now()}${n}.${n}.${randomBytes(16).toString('hex')}`,
  }).toString();
}

/**
 * POSTs a signed body. `opts.headers` are applied last, so a test can replace the computed signature
 * (e.g. with SLACK_SIGNING_EXAMPLE.signature) or add X-Slack-Retry-Num.
 */
export async function postSigned(
  url: string,
  body: string,
  opts: {
    signingSecret: string;
    contentType: 'application/x-www-form-urlencoded' | 'application/json';
    timestampSec?: number;
    headers?: Record<string, string>;
  },
  // biome-ignore lint/suspicious/noExplicitAny: the app's JSON answer, shaped by the test.
): Promise<{ status: number; text: string; json?: any; receivedAt: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType,
      ...signSlackRequest(opts.signingSecret, body, opts.timestampSec),
      ...opts.headers,
    },
    body,
  });
  // Taken when the status line arrives: the moment Slack would consider the request acknowledged.
  const receivedAt = performance.now();
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, receivedAt };
}

/** The JSON body of an Events API `event_callback`, as Slack delivers it (reference §3). */
export function eventEnvelope(
  // biome-ignore lint/suspicious/noExplicitAny: events are free-form.
  event: Record<string, any>,
  opts: { team_id?: string; event_id?: string; event_time?: number } = {},
): string {
  const teamId = opts.team_id ?? FAKE_TEAM_ID;
  return JSON.stringify({
    token: VERIFICATION_TOKEN,
    team_id: teamId,
    api_app_id: APP_ID,
    event: event.ts && !event.event_ts ? { ...event, event_ts: event.ts } : event,
    type: 'event_callback',
    event_id: opts.event_id ?? `Ev0FAKE${String(next()).padStart(6, '0')}`,
    event_time: opts.event_time ?? Math.floor(Date.now() / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: teamId,
        user_id: FAKE_BOT_USER_ID,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  });
}

/** A `block_actions` interaction (a button click), form-encoded as `payload=<json>` like Slack sends it. */
export function blockActionsBody(fields: {
  userId: string;
  channelId: string;
  messageTs: string;
  actionId: string;
  value: string;
  responseUrl: string;
  teamId?: string;
}): string {
  const teamId = fields.teamId ?? FAKE_TEAM_ID;
  const n = next();
  const payload = {
    type: 'block_actions',
    user: { id: fields.userId, username: 'someone', name: 'someone', team_id: teamId },
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: fields.messageTs,
      channel_id: fields.channelId,
      is_ephemeral: false,
    },
    trigger_id: `${Date.now()}${n}.${n}.${randomBytes(16).toString('hex')}`,
    team: { id: teamId, domain: 'fake-workspace' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: fields.channelId, name: 'data' },
    message: { type: 'message', ts: fields.messageTs, bot_id: 'B0FAKEBOT1', text: '' },
    response_url: fields.responseUrl,
    actions: [
      {
        action_id: fields.actionId,
        block_id: 'collaboration',
        text: { type: 'plain_text', text: 'Click', emoji: true },
        value: fields.value,
        type: 'button',
        action_ts: `${Math.floor(Date.now() / 1000)}.000${n}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
