import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  dataEngineeringAnswer,
  type FakeAnthropic,
  startFakeAnthropic,
  textReply,
} from './fake-anthropic.js';

const MODEL = 'claude-sonnet-5-5';
const tokens = (text: string) => Math.ceil(text.length / 4);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** ~5.7k characters (≈1.4k tokens): above the default 1024-token cache minimum. */
const SYSTEM_PROMPT = Array.from(
  { length: 60 },
  (_, i) =>
    `Rule ${i + 1}: prefer idempotent, partitioned, well-tested pipelines with explicit data contracts.`,
).join('\n');
const cachedSystem = [
  { type: 'text' as const, text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' as const } },
];

let fake: FakeAnthropic;
let client: Anthropic;
let retrying: Anthropic;

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

function ask(content: string) {
  return { model: MODEL, max_tokens: 1024, messages: [{ role: 'user' as const, content }] };
}

function rawPost(path: string, body: unknown, headers: Record<string, string> = { 'x-api-key': 'raw-key' }) {
  return fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2026-10-21', ...headers },
    body: JSON.stringify(body),
  });
}

describe('fake Anthropic: messages through the real SDK', () => {
  it('streams text in many small deltas and reports the final usage and request id', async () => {
    const text = 'Partition the events table by event_date and cluster it by user_id. '.repeat(5);
    fake.script(textReply(text));
    const stream = client.messages.stream(ask('How should I partition the events table?'));
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();

    expect(deltas.join('')).toBe(text);
    expect(deltas.length).toBeGreaterThan(10);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      stop_reason: 'end_turn',
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.usage).toMatchObject({
      input_tokens: tokens('How should I partition the events table?'),
      output_tokens: tokens(text),
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });

    const [request] = fake.requests;
    expect(stream.request_id).toMatch(/^req_/);
    expect(stream.request_id).toBe(request?.requestId);
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers.authorization).toBe('Bearer test-key');
    expect(request?.body).toMatchObject({ model: MODEL, stream: true });
    expect(request?.usage).toMatchObject({
      input_tokens: message.usage.input_tokens,
      output_tokens: tokens(text),
    });
    expect(request?.firstByteAt).toBeGreaterThanOrEqual(request?.at ?? Number.POSITIVE_INFINITY);
  });

  it('answers without `stream` with a plain JSON message', async () => {
    fake.script(textReply('Use a merge on the natural key.', { stopReason: 'max_tokens' }));
    const { data, response, request_id } = await client.messages
      .create({ ...ask('How do I upsert?'), model: 'claude-haiku-5-5' })
      .withResponse();
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(request_id).toMatch(/^req_/);
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-5-5',
      content: [{ type: 'text', text: 'Use a merge on the natural key.' }],
      stop_reason: 'max_tokens',
      stop_sequence: null,
      usage: {
        input_tokens: tokens('How do I upsert?'),
        output_tokens: tokens('Use a merge on the natural key.'),
      },
    });
    expect(data.id).toMatch(/^msg_/);
  });

  it('can open with a thinking block; text is selected by type', async () => {
    fake.script({
      kind: 'message',
      content: [
        { type: 'thinking', thinking: 'The user wants a CDC design; Debezium fits.' },
        { type: 'text', text: 'Use Debezium for CDC.' },
      ],
    });
    const stream = client.messages.stream(ask('How do I capture changes?'));
    const thinking: string[] = [];
    stream.on('thinking', (delta) => thinking.push(delta));
    const message = await stream.finalMessage();

    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const first = message.content[0];
    expect(first?.type === 'thinking' && first.thinking).toBe('The user wants a CDC design; Debezium fits.');
    expect(first?.type === 'thinking' && first.signature.length).toBeGreaterThan(0);
    expect(thinking.join('')).toBe('The user wants a CDC design; Debezium fits.');
    const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
    expect(text).toBe('Use Debezium for CDC.');
    expect(message.usage.output_tokens_details?.thinking_tokens).toBe(
      tokens('The user wants a CDC design; Debezium fits.'),
    );
  });

  it('streams a tool_use block whose input arrives parsed', async () => {
    const input = { sql: 'select count(*) from events where event_date = current_date', limit: 10 };
    fake.script({
      kind: 'message',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', name: 'run_sql', input },
      ],
    });
    const stream = client.messages.stream(ask('How many events today?'));
    let jsonFragments = 0;
    stream.on('inputJson', () => {
      jsonFragments++;
    });
    const message = await stream.finalMessage();
    const tool = message.content.find((b) => b.type === 'tool_use');
    expect(tool).toMatchObject({ type: 'tool_use', name: 'run_sql', input });
    expect(tool?.id).toMatch(/^toolu_/);
    expect(message.stop_reason).toBe('tool_use');
    expect(jsonFragments).toBeGreaterThan(2);
  });

  it('writes the exact SSE wire format', async () => {
    const input = { table: 'events' };
    fake.script({
      kind: 'message',
      content: [
        { type: 'text', text: 'Checking the table now.' },
        { type: 'tool_use', name: 'describe_table', input, id: 'toolu_fixed' },
      ],
    });
    const response = await rawPost('/v1/messages', { ...ask('Describe events'), stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const raw = await response.text();
    expect(raw.endsWith('\n\n')).toBe(true);
    const chunks = raw.slice(0, -2).split('\n\n');
    for (const chunk of chunks) expect(chunk).toMatch(/^event: [a-z_]+\ndata: \{.*\}$/);
    const events = chunks.map((chunk) => {
      const [eventLine = '', dataLine = ''] = chunk.split('\n');
      return { event: eventLine.slice('event: '.length), data: JSON.parse(dataLine.slice('data: '.length)) };
    });
    for (const { event, data } of events) expect(data.type).toBe(event);

    const names = events.map((e) => e.event).filter((name, i, all) => name !== all[i - 1]);
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]?.data.message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: tokens('Describe events'), output_tokens: 1 },
    });
    const starts = events.filter((e) => e.event === 'content_block_start').map((e) => e.data);
    expect(starts).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      {
        type: 'content_block_start',
        index: 1,
        content_block: {
          type: 'tool_use',
          id: 'toolu_fixed',
          name: 'describe_table',
          input: {},
          caller: { type: 'direct' },
        },
      },
    ]);
    const textDeltas = events
      .filter((e) => e.data.delta?.type === 'text_delta')
      .map((e) => e.data.delta.text);
    expect(textDeltas.length).toBeGreaterThan(1);
    expect(textDeltas.join('')).toBe('Checking the table now.');
    const json = events
      .filter((e) => e.data.delta?.type === 'input_json_delta')
      .map((e) => e.data.delta.partial_json);
    expect(json[0]).toBe('');
    expect(json.length).toBeGreaterThan(2);
    expect(JSON.parse(json.join(''))).toEqual(input);
    const messageDelta = events.find((e) => e.event === 'message_delta')?.data;
    expect(messageDelta.delta).toMatchObject({ stop_reason: 'tool_use', stop_sequence: null });
    expect(messageDelta.usage.output_tokens).toBe(
      tokens('Checking the table now.') + tokens(JSON.stringify(input)),
    );
  });

  it('serves the default data-engineering answer, a function default, and restores it on reset', async () => {
    const answer = dataEngineeringAnswer();
    expect(answer.length).toBeGreaterThan(2000);
    expect(answer.length).toBeLessThan(3000);
    expect(answer).toMatch(/^## Data Engineering Solution: Pipeline for user analytics/);
    for (const section of [
      'Data Architecture',
      'Implementation Plan',
      'Quality Assurance',
      'Code/Configuration',
    ])
      expect(answer).toContain(`### ${section}`);
    expect(answer).toContain('```sql\n');
    expect(dataEngineeringAnswer('CDC to Snowflake')).toContain('Solution: CDC to Snowflake');

    expect(await client.messages.stream(ask('design a pipeline')).finalText()).toBe(answer);
    fake.setDefault((req) => textReply(`echo: ${req.body.messages[0].content}`));
    expect(await client.messages.stream(ask('ping')).finalText()).toBe('echo: ping');
    fake.reset();
    expect(fake.requests).toHaveLength(0);
    expect(await client.messages.stream(ask('again')).finalText()).toBe(answer);
  });
});

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

describe('fake Anthropic: token counting and prompt caching', () => {
  it('counts tokens with the same estimate as the messages usage', async () => {
    const params = {
      model: MODEL,
      system: 'You are a data engineer.',
      messages: ask('Explain SCD type 2').messages,
    };
    const counted = await client.messages.countTokens(params);
    expect(counted).toEqual({
      input_tokens: tokens('You are a data engineer.') + tokens('Explain SCD type 2'),
    });
    fake.script(textReply('first scripted reply'));
    const message = await client.messages.create({ ...params, max_tokens: 100 });
    expect(message.usage.input_tokens).toBe(counted.input_tokens);
    expect(message.content).toEqual([{ type: 'text', text: 'first scripted reply' }]);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/messages/count_tokens', '/v1/messages']);
  });

  it('reads a long cached system prompt on the second request', async () => {
    const systemTokens = tokens(SYSTEM_PROMPT);
    expect(systemTokens).toBeGreaterThanOrEqual(1024);
    const first = await client.messages
      .stream({ ...ask('First question'), system: cachedSystem })
      .finalMessage();
    expect(first.usage).toMatchObject({
      cache_creation_input_tokens: systemTokens,
      cache_read_input_tokens: 0,
      input_tokens: tokens('First question'),
      cache_creation: { ephemeral_5m_input_tokens: systemTokens, ephemeral_1h_input_tokens: 0 },
    });
    const second = await client.messages.create({ ...ask('A different question'), system: cachedSystem });
    expect(second.usage).toMatchObject({
      cache_read_input_tokens: systemTokens,
      cache_creation_input_tokens: 0,
      input_tokens: tokens('A different question'),
    });
    expect(fake.requests[1]?.usage?.cache_read_input_tokens).toBe(systemTokens);

    // The cache is per model.
    const otherModel = await client.messages.create({
      ...ask('x'),
      model: 'claude-haiku-5-5',
      system: cachedSystem,
    });
    expect(otherModel.usage.cache_read_input_tokens).toBe(0);
    expect(otherModel.usage.cache_creation_input_tokens).toBe(systemTokens);
  });

  it('follows a growing conversation with top-level cache_control', async () => {
    const turn = async (messages: Anthropic.MessageParam[]) =>
      (
        await client.messages
          .stream({
            model: MODEL,
            max_tokens: 512,
            system: cachedSystem,
            messages,
            cache_control: { type: 'ephemeral' },
          })
          .finalMessage()
      ).usage;
    const systemTokens = tokens(SYSTEM_PROMPT);
    const u1 = 'Design a pipeline for user analytics';
    const a1 = 'Here is a design with Kafka and dbt.';
    const u2 = 'How do I backfill late events?';
    const a2 = 'Reprocess a 72-hour window with a merge.';
    const u3 = 'And how do I test it?';

    const first = await turn([{ role: 'user', content: u1 }]);
    expect(first).toMatchObject({
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: systemTokens + tokens(u1),
      input_tokens: 0,
    });
    const second = await turn([
      { role: 'user', content: u1 },
      { role: 'assistant', content: a1 },
      { role: 'user', content: u2 },
    ]);
    expect(second).toMatchObject({
      cache_read_input_tokens: systemTokens + tokens(u1),
      cache_creation_input_tokens: tokens(a1) + tokens(u2),
      input_tokens: 0,
    });
    const third = await turn([
      { role: 'user', content: u1 },
      { role: 'assistant', content: [{ type: 'text', text: a1 }] },
      { role: 'user', content: u2 },
      { role: 'assistant', content: a2 },
      { role: 'user', content: u3 },
    ]);
    expect(third.cache_read_input_tokens).toBe(systemTokens + tokens(u1) + tokens(a1) + tokens(u2));
    expect(third.cache_creation_input_tokens).toBe(tokens(a2) + tokens(u3));
  });

  it('caches nothing below the minimum, honours the configured minimum and the 1h ttl', async () => {
    const short = [
      { type: 'text' as const, text: 'Short system prompt.', cache_control: { type: 'ephemeral' as const } },
    ];
    for (let i = 0; i < 2; i++) {
      const message = await client.messages.create({ ...ask('hi'), system: short });
      expect(message.usage).toMatchObject({ cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    }
    const small = await startFakeAnthropic({ minCacheableTokens: 4 });
    try {
      const smallClient = new Anthropic({ apiKey: 'test-key', baseURL: small.url, maxRetries: 0 });
      const hourly = [
        {
          type: 'text' as const,
          text: 'Short system prompt.',
          cache_control: { type: 'ephemeral' as const, ttl: '1h' as const },
        },
      ];
      const first = await smallClient.messages.create({ ...ask('hi'), system: hourly });
      expect(first.usage.cache_creation).toEqual({
        ephemeral_5m_input_tokens: 0,
        ephemeral_1h_input_tokens: tokens('Short system prompt.'),
      });
      const second = await smallClient.messages.create({ ...ask('hi'), system: hourly });
      expect(second.usage.cache_read_input_tokens).toBe(tokens('Short system prompt.'));
    } finally {
      await small.close();
    }
  });

  it('rejects more than four cache breakpoints', async () => {
    const system = Array.from({ length: 5 }, (_, i) => ({
      type: 'text' as const,
      text: `block ${i}`,
      cache_control: { type: 'ephemeral' as const },
    }));
    const error = await client.messages.create({ ...ask('hi'), system }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
  });
});
