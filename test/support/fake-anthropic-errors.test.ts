import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it, vi } from 'vitest';
import { dataEngineeringAnswer, startFakeAnthropic, textReply } from './fake-anthropic.js';
import {
  ask,
  client,
  fake,
  MODEL,
  rawPost,
  retrying,
  sleep,
  useFakeAnthropic,
} from './fake-anthropic-test-setup.js';

useFakeAnthropic();

describe('fake Anthropic: errors', () => {
  it('lets the SDK retry a 429 after retry-after and then succeed', async () => {
    fake.script(
      { kind: 'error', status: 429, type: 'rate_limit_error', message: 'Slow down', retryAfter: 1 },
      textReply('ok after retry'),
    );
    const started = performance.now();
    const message = await retrying.messages.create(ask('retry me'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(message.content).toEqual([{ type: 'text', text: 'ok after retry' }]);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]?.status).toBe(429);
    expect(fake.requests[1]?.headers['x-stainless-retry-count']).toBe('1');
  });

  it('surfaces a 529 as OverloadedError with the request id', async () => {
    fake.script({
      kind: 'error',
      status: 529,
      type: 'overloaded_error',
      message: 'Overloaded',
      retryAfterMs: 10,
    });
    const error = await client.messages.create(ask('anyone there?')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(529);
    expect(apiError.type).toBe('overloaded_error');
    expect(apiError.requestID).toMatch(/^req_/);
    expect(apiError.requestID).toBe(fake.requests[0]?.requestId);
    expect(apiError.headers?.get('retry-after-ms')).toBe('10');
    expect(apiError.error).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
      request_id: apiError.requestID,
    });
  });

  it('breaks a stream with event: error, which the SDK throws and never retries', async () => {
    const answer = dataEngineeringAnswer();
    fake.script({ ...textReply(answer), midStreamError: { afterChars: 50 } });
    const stream = retrying.messages.stream(ask('design a pipeline'));
    let received = '';
    stream.on('text', (delta) => {
      received += delta;
    });
    const error = await stream.finalMessage().catch((e: unknown) => e);
    // SDK 1.14 (src/core/streaming.ts) turns `event: error` into
    // `new APIError(undefined, body, undefined, response.headers, body.error.type)`: a plain APIError with
    // `status === undefined` (so never an OverloadedError, which is chosen by HTTP status), `err.type` and
    // `err.error.error.type` both 'overloaded_error', `err.requestID` from the 200 response's headers. The
    // SDK does not retry it, whatever maxRetries is: the caller must retry the whole stream.
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).not.toBeInstanceOf(Anthropic.OverloadedError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBeUndefined();
    expect(apiError.type).toBe('overloaded_error');
    expect((apiError.error as { error: { type: string } }).error.type).toBe('overloaded_error');
    expect(apiError.requestID).toBe(fake.requests[0]?.requestId);
    expect(received).toBe(answer.slice(0, 50));
    expect(fake.requests).toHaveLength(1);
  });

  it('rejects temperature/top_p/top_k and missing required fields with 400', async () => {
    for (const extra of [{ temperature: 0 }, { top_p: 0.9 }, { top_k: 5 }]) {
      const params = { ...ask('hi'), ...extra } as unknown as Anthropic.MessageCreateParamsNonStreaming;
      const error = await client.messages.create(params).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      const apiError = error as InstanceType<typeof Anthropic.BadRequestError>;
      expect(apiError.type).toBe('invalid_request_error');
      expect(apiError.apiMessage).toBe(`${Object.keys(extra)[0]}: Extra inputs are not permitted`);
    }
    const { max_tokens: _omitted, ...noMaxTokens } = ask('hi');
    const missing = await client.messages
      .create(noMaxTokens as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect((missing as InstanceType<typeof Anthropic.APIError>).status).toBe(400);
    expect((missing as InstanceType<typeof Anthropic.APIError>).apiMessage).toBe(
      'max_tokens: Field required',
    );
    for (const body of [
      { max_tokens: 5, messages: [] },
      { model: MODEL, max_tokens: 5 },
    ]) {
      expect((await rawPost('/v1/messages', body)).status).toBe(400);
    }
  });

  it('requires an API key (Bearer or x-api-key) and does not spend scripted replies on rejected requests', async () => {
    fake.script(textReply('kept for the valid request'));
    const unauthenticated = await rawPost('/v1/messages', ask('hi'), {});
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('content-type')).toBe('application/json');
    const requestId = unauthenticated.headers.get('request-id');
    expect(requestId).toMatch(/^req_/);
    expect(await unauthenticated.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: expect.any(String) },
      request_id: requestId,
    });

    const viaHeader = await rawPost('/v1/messages', ask('hi'), { 'x-api-key': 'sk-ant-raw' });
    expect(viaHeader.status).toBe(200);
    expect(((await viaHeader.json()) as { content: unknown }).content).toEqual([
      { type: 'text', text: 'kept for the valid request' },
    ]);
    expect(fake.requests.map((r) => r.status)).toEqual([401, 200]);
    expect((await rawPost('/v1/nope', {})).status).toBe(404);
  });
});

describe('fake Anthropic: timing controls', () => {
  it('holds everything behind a gate, then honours firstTokenDelayMs and tokensPerSecond', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const text = 'x'.repeat(200); // 50 tokens: 50 ms at 1000 tokens/s
    fake.script({ ...textReply(text), gate, firstTokenDelayMs: 100, tokensPerSecond: 1000 });
    const done = client.messages.stream(ask('hold on')).finalText();
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1));
    await sleep(30);
    expect(fake.requests[0]?.firstByteAt).toBeUndefined();
    const releasedAt = performance.now();
    release();
    expect(await done).toBe(text);
    const finishedAt = performance.now();
    const firstByteAt = fake.requests[0]?.firstByteAt ?? 0;
    expect(firstByteAt - releasedAt).toBeGreaterThanOrEqual(95);
    expect(finishedAt - firstByteAt).toBeGreaterThanOrEqual(40);
  });

  it('waits delayMs before answering', async () => {
    fake.script({ ...textReply('late'), delayMs: 80 });
    const started = performance.now();
    await client.messages.create(ask('slow'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('closes promptly while a reply is still held by its gate', async () => {
    const other = await startFakeAnthropic();
    other.script({ ...textReply('never'), gate: new Promise<void>(() => {}) });
    const held = new Anthropic({ apiKey: 'test-key', baseURL: other.url, maxRetries: 0 });
    const pending = held.messages
      .stream(ask('stuck'))
      .finalMessage()
      .catch((e: unknown) => e);
    await vi.waitFor(() => expect(other.requests).toHaveLength(1));
    await other.close();
    expect(await pending).toBeInstanceOf(Anthropic.APIError);
  });
});
