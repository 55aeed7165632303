import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TOOLS, toAnthropicTools } from '../../src/agent/tools.js';
import { defineTool, runToolRound, type ToolContext } from '../../src/core/agent-tool.js';
import { AGENT_TOOLS, BASE_AGENT_TOOLS, toolsForTask } from '../../src/core/tool-registry.js';

/** Tools that never touch their context: runToolRound is tested without any port. */
const context = {} as ToolContext<unknown>;

describe('the agent tool registry', () => {
  it('generates byte-identical tool definitions every time, in the registry order', () => {
    const first = JSON.stringify(toAnthropicTools(BASE_AGENT_TOOLS));
    const second = JSON.stringify(toAnthropicTools(BASE_AGENT_TOOLS));
    expect(second).toBe(first);
    expect(JSON.stringify(TOOLS)).toBe(first);
    expect(TOOLS.map((tool) => tool.name)).toEqual([
      'ask_clarifying_questions',
      'request_collaboration',
      'run_sql',
      'publish_data_dictionary',
      'propose_quality_checks',
    ]);
  });

  it('appends the data tools after every other tool, offered only to a task whose channel has a data source', () => {
    expect(AGENT_TOOLS.map((tool) => tool.name)).toEqual([
      ...BASE_AGENT_TOOLS.map((tool) => tool.name),
      'list_tables',
      'describe_table',
      'sample_rows',
      'profile_columns',
      'explain_query',
      'run_query',
    ]);
    // The unmapped channel's tools are the prefix of the full list, byte for byte.
    const all = JSON.stringify(toAnthropicTools(AGENT_TOOLS));
    expect(all.startsWith(JSON.stringify(TOOLS).slice(0, -1))).toBe(true);
    expect(toolsForTask({})).toBe(BASE_AGENT_TOOLS);
    expect(toolsForTask({ data: {} })).toBe(AGENT_TOOLS);
    for (const tool of toAnthropicTools(AGENT_TOOLS.slice(BASE_AGENT_TOOLS.length))) {
      for (const field of Object.values(tool.input_schema.properties ?? {}))
        expect((field as { description?: string }).description).toBeTruthy();
    }
  });

  it('sends each tool an object input_schema generated from its zod schema, with the field descriptions', () => {
    for (const tool of TOOLS) {
      expect(tool.input_schema.type).toBe('object');
      expect(tool.input_schema).not.toHaveProperty('$schema');
      expect(Object.keys(tool.input_schema.properties ?? {}).length).toBeGreaterThan(0);
      // Every field is required but run_sql's optional purpose (what the thread status shows).
      const optional = tool.name === 'run_sql' ? ['purpose'] : [];
      expect(tool.input_schema.required).toEqual(
        Object.keys(tool.input_schema.properties ?? {}).filter((k) => !optional.includes(k)),
      );
    }
    const [questions, collaboration] = TOOLS;
    expect(questions?.input_schema.properties).toMatchObject({
      questions: {
        type: 'array',
        minItems: 1,
        maxItems: 5,
        items: { type: 'string' },
        description: 'One question per item, most important first, each answerable in a sentence.',
      },
    });
    expect(collaboration?.input_schema.properties).toMatchObject({
      role: { enum: ['backend', 'devops', 'security', 'qa'], description: 'Whose help is needed.' },
      reason: { type: 'string', description: 'Why the solution depends on it, in a sentence.' },
    });
    // The descriptions are part of the cached prompt: kept word for word.
    expect(questions?.description).toMatch(/^Ask the requester a few short, specific questions/);
    expect(collaboration?.description).toMatch(/Call it while answering, then continue the answer\.$/);
  });
});

describe('runToolRound', () => {
  const echo = defineTool({
    name: 'echo',
    description: 'Echoes.',
    input: z.object({ word: z.string().min(2) }),
    run: ({ word }) => `said ${word}`,
  });
  const ask = defineTool({
    name: 'ask',
    description: 'Asks.',
    input: z.object({ question: z.string() }),
    endsTurn: true,
    run: ({ question }) => `Q: ${question}`,
  });

  it('answers every call in order: the result, an unknown tool, input the schema refuses (capped)', async () => {
    const wide = defineTool({
      name: 'wide',
      description: 'Two hundred required fields: one refusal lists them all.',
      input: z.object(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`field_${i}`, z.string()]))),
      run: () => 'never',
    });
    const round = await runToolRound(
      [echo, wide],
      [
        { id: 't1', name: 'echo', input: { word: 'hi' } },
        { id: 't2', name: 'nope', input: {} },
        { id: 't3', name: 'echo', input: { word: 'x'.repeat(1) } },
        { id: 't4', name: 'wide', input: {} },
      ],
      context,
      { mayContinue: true },
    );
    expect(round).toMatchObject({
      results: [
        { id: 't1', text: 'said hi', isError: false },
        { id: 't2', text: 'Unknown tool nope.', isError: true },
        { id: 't3', isError: true },
        { id: 't4', isError: true },
      ],
    });
    const results = round && 'results' in round ? round.results : [];
    expect(results[2]?.text).toMatch(/^Not recorded: word: .*>=2 characters.*Fix the input and call again/);
    expect(results[3]?.text).toMatch(/^Not recorded: field_0: /);
    expect(results[3]?.text.length).toBeLessThan(1_200);
  });

  it('ends the turn on a valid turn-ending call without running the round’s other calls', async () => {
    let ran = 0;
    const counted = defineTool({ ...echo, run: () => `ran ${++ran}` });
    const round = await runToolRound(
      [ask, counted],
      [
        { id: 't1', name: 'echo', input: { word: 'hi' } },
        { id: 't2', name: 'ask', input: { question: 'How big?' } },
      ],
      context,
      { mayContinue: true },
    );
    expect(round).toEqual({ endTurn: 'Q: How big?' });
    expect(ran).toBe(0);
  });

  it('runs nothing when the model may not continue and no tool ends the turn', async () => {
    const round = await runToolRound([echo], [{ id: 't1', name: 'echo', input: { word: 'hi' } }], context, {
      mayContinue: false,
    });
    expect(round).toBeUndefined();
  });
});
