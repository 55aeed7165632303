import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from './fake-anthropic.js';

/** Shared by the fake Anthropic's own test files: one fake per file, SDK clients on it, request helpers. */

export const MODEL = 'claude-sonnet-5-5';
export const tokens = (text: string) => Math.ceil(text.length / 4);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** ~5.7k characters (≈1.4k tokens): above the default 1024-token cache minimum. */
export const SYSTEM_PROMPT = Array.from(
  { length: 60 },
  (_, i) =>
    `Rule ${i + 1}: prefer idempotent, partitioned, well-tested pipelines with explicit data contracts.`,
).join('\n');
export const cachedSystem = [
  { type: 'text' as const, text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' as const } },
];

/** Set by useFakeAnthropic's hooks (ESM live bindings: importers see the current values). */
export let fake: FakeAnthropic;
export let client: Anthropic;
export let retrying: Anthropic;

/** Starts a fake Anthropic API for the calling test file, with a client that never retries and one that does. */
export function useFakeAnthropic(): void {
  beforeAll(async () => {
    fake = await startFakeAnthropic();
    client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0 });
    retrying = new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 2 });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });
}

export function ask(content: string) {
  return { model: MODEL, max_tokens: 1024, messages: [{ role: 'user' as const, content }] };
}

export function rawPost(
  path: string,
  body: unknown,
  headers: Record<string, string> = { 'x-api-key': 'raw-key' },
) {
  return fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2026-10-21', ...headers },
    body: JSON.stringify(body),
  });
}
