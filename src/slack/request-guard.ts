import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Every request to /slack/events is checked here before Bolt sees it: the signature (a forged,
 * tampered or replayed request gets 401), then the broad shape Slack always sends (anything else gets
 * 400 or 415). Bolt's receiver assumes well-formed bodies: a signed `payload=null` makes it throw
 * without answering, and a payload without a user makes it answer 500 — never acceptable here.
 */
export type Refusal = { status: number; reason: string };

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

const eventEnvelope = z.union([
  z.object({ type: z.literal('url_verification'), challenge: z.string() }),
  z.object({
    type: z.literal('event_callback'),
    event_id: z.string().min(1),
    // Bolt reads these without checking their types (a numeric channel makes it fail with a 500).
    event: z.looseObject({
      type: z.string().min(1),
      channel: z.union([z.string(), z.looseObject({})]).optional(),
      user: z.union([z.string(), z.looseObject({})]).optional(),
      ts: z.string().optional(),
      thread_ts: z.string().optional(),
      event_ts: z.string().optional(),
      text: z.string().optional(),
      subtype: z.string().optional(),
    }),
  }),
  z.looseObject({ type: z.literal('app_rate_limited') }),
]);

const interaction = z.looseObject({
  type: z.string().min(1),
  user: z.looseObject({ id: z.string().min(1) }),
  team: z
    .looseObject({ id: z.string().min(1) })
    .nullable()
    .optional(),
});

const slashCommand = z.looseObject({
  command: z.string().min(1),
  team_id: z.string().min(1),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
});

/** Slack's signature: `v0=` and a hex HMAC-SHA256. */
const SIGNATURE = /^v0=[0-9a-f]{64}$/;
/** Slack's own advice: refuse a request whose timestamp is more than five minutes from now (replays). */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * The part of the signature check that needs no body, run before a byte of it is read: a request
 * without both headers, with malformed ones or with a timestamp outside ±5 minutes gets 401 at once,
 * so an unsigned request costs neither memory nor waiting.
 */
export function checkSignatureHeaders(
  headers: Record<string, string | string[] | undefined>,
  signingSecret: string | undefined,
  nowMs = Date.now(),
): Refusal | undefined {
  if (signingSecret === undefined) return undefined;
  const signature = headers['x-slack-signature'];
  const timestamp = headers['x-slack-request-timestamp'];
  if (typeof signature !== 'string' || typeof timestamp !== 'string')
    return { status: 401, reason: 'unsigned' };
  if (!SIGNATURE.test(signature) || !/^\d{1,12}$/.test(timestamp))
    return { status: 401, reason: 'malformed signature headers' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS)
    return { status: 401, reason: 'stale timestamp' };
  return undefined;
}

/** What Slack sent, parsed once here and handed to Bolt as the request's body (src/slack/request-receiver.ts). */
export type SlackBody = Record<string, unknown>;

export type CheckedRequest = { body: SlackBody; refusal?: undefined } | { refusal: Refusal };

/**
 * The body half of the check, for a request whose headers passed checkSignatureHeaders: the signature
 * over the exact bytes, then the shape of what Slack sent. A request that passes comes back parsed as
 * Bolt reads it: an event envelope (JSON), an interaction (the form's `payload`, JSON), or a slash
 * command or `ssl_check` (the form's fields).
 */
export function checkSlackRequest(
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
  signingSecret: string | undefined,
): CheckedRequest {
  const body = rawBody.toString('utf8');
  if (signingSecret !== undefined) {
    const signature = headers['x-slack-signature'];
    const timestamp = Number(headers['x-slack-request-timestamp']);
    if (typeof signature !== 'string' || !Number.isInteger(timestamp))
      return { refusal: { status: 401, reason: 'unsigned' } };
    // The headers' format and the ±5 minutes were checked before the body was read (checkSignatureHeaders,
    // which the HTTP server runs first on every request): not again on this hot path.
    if (!signatureMatches(signingSecret, timestamp, body, signature))
      return { refusal: { status: 401, reason: 'bad signature' } };
  }
  const contentType = String(headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (contentType === JSON_TYPE) return shape(eventEnvelope, parseJson(body), 'event envelope');
  if (contentType !== FORM)
    return { refusal: { status: 415, reason: `content type ${contentType || 'missing'}` } };
  const form = new URLSearchParams(body);
  // Only the flag: the receiver answers it, and nothing else in this form is checked.
  if (form.get('ssl_check') === '1') return { body: { ssl_check: '1' } };
  const payload = form.get('payload');
  if (payload !== null) return shape(interaction, parseJson(payload), 'interaction payload');
  return shape(slashCommand, Object.fromEntries(form), 'slash command');
}

/**
 * Slack's v0 signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>` under the signing secret,
 * compared in constant time. (Bolt's isValidSlackRequest, used before, compares through tsscmp, which
 * draws random bytes and computes two more HMACs per request: a fifth of the guard's time in bench (a).)
 */
function signatureMatches(secret: string, timestamp: number, body: string, signature: string): boolean {
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const given = Buffer.from(signature, 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The parsed value when it has Slack's shape (zod's copy is not kept: Bolt gets the value as sent). */
function shape(schema: z.ZodType, value: unknown, what: string): CheckedRequest {
  return schema.safeParse(value).success
    ? { body: value as SlackBody }
    : { refusal: { status: 400, reason: `malformed ${what}` } };
}
