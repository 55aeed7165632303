/**
 * A local fake of the Anthropic Messages API (API version 2026-10-21, as spoken by @anthropic-ai/sdk
 * 1.x) for end-to-end tests and benchmarks. Point the real SDK at it with `baseURL: fake.url` (or
 * `ANTHROPIC_BASE_URL`).
 *
 * - `POST /v1/messages`: JSON or SSE (`stream: true`), replies scripted with `script()` (one per
 *   request, in order) or the default reply. Requests failing auth (401) or validation (400) are
 *   recorded but do not consume a scripted reply.
 * - `POST /v1/messages/count_tokens`: `{ input_tokens }` with the same estimate; it is recorded but
 *   never consumes a scripted reply and never touches the cache.
 * - Usage and the prompt cache are simulated: see cache.ts. Cache entries never expire during a test;
 *   `reset()` empties the cache.
 * - Any other path answers 404 `not_found_error` and is not recorded.
 *
 * Where things live: server.ts (HTTP, recording, auth and routing), validate.ts (request validation),
 * scripting.ts (scripted and default replies), plan.ts (a message answer and its usage; JSON answers),
 * stream.ts and sse-writer.ts (streamed answers), cache.ts (tokens and the prompt cache), http.ts,
 * canned.ts (canned answers).
 */

export {
  collaborationRound,
  dataEngineeringAnswer,
  ORDERS_CHECKS,
  ORDERS_DDL,
  ORDERS_SAMPLE,
  PII_SECURITY_REQUEST,
  sandboxedAnswerScript,
  sqlToolRound,
} from './canned.js';
export { textReply } from './scripting.js';
export { startFakeAnthropic } from './server.js';
export type {
  Block,
  ErrorReply,
  FakeAnthropic,
  MessageReply,
  RecordedRequest,
  Reply,
  Usage,
} from './types.js';
