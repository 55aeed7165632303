import { describe, expect, it } from 'vitest';
import { dataEngineeringAnswer, textReply } from './fake-anthropic.js';
import { ask, client, fake, MODEL, rawPost, tokens, useFakeAnthropic } from './fake-anthropic-test-setup.js';

useFakeAnthropic();

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
