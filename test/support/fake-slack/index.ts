import { FakeSlackServer } from './server.js';
import type { FakeSlack } from './types.js';

/**
 * A local fake of the Slack Web API for end-to-end tests and benchmarks: a real HTTP server on
 * 127.0.0.1 that the real `@slack/web-api` WebClient (or Bolt) talks to through `slackApiUrl: fake.apiUrl`.
 *
 * - `POST /api/<method>`: form-encoded or JSON, token from `Authorization: Bearer` or the `token` field.
 *   Answers like Slack: HTTP 200 with `{ok:true,…}` / `{ok:false,error}`, 429 + `Retry-After` when rate
 *   limited, and scripted 500s. Every call is recorded in `calls`, including rejected ones.
 * - `POST /response/<id>`: response_url endpoints minted by `responseUrl()` (5 uses / 30 minutes).
 *
 * Where things live: server.ts (HTTP, auth, recording), scripting.ts (scripted failures, holds, rate
 * limits), state.ts (channels, messages, users, groups), methods/ (one file per Web API family),
 * limits.ts (Slack's size limits and error names), response-urls.ts, wire.ts (wire-format helpers).
 */

export type { CallFilter, Failure, FakeMessage, FakeSlack, RecordedCall, SlackUser } from './types.js';
export { FAKE_BOT_ID, FAKE_BOT_USER_ID, FAKE_TEAM_ID } from './types.js';

export async function startFakeSlack(
  opts: { rateLimitPerChannelPerSecond?: boolean } = {},
): Promise<FakeSlack> {
  const fake = new FakeSlackServer(opts);
  await fake.listen();
  return fake;
}
