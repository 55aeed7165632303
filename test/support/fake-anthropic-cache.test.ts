import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { startFakeAnthropic, textReply } from './fake-anthropic.js';
import {
  ask,
  cachedSystem,
  client,
  fake,
  MODEL,
  SYSTEM_PROMPT,
  tokens,
  useFakeAnthropic,
} from './fake-anthropic-test-setup.js';

useFakeAnthropic();

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
