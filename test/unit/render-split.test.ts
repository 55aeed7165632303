import { describe, expect, it } from 'vitest';
import {
  applySplitOps,
  MentionSafeStream,
  neutraliseMentions,
  type SplitOp,
  StreamingMessageSplitter,
  splitMarkdown,
} from '../../src/render/index.js';
import { rng } from '../support/seeded-random.js';

const SLACK_MARKDOWN_LIMIT = 12_000;

const WORDS = [
  'data',
  'pipeline',
  'partition',
  'snapshot',
  'warehouse',
  'schema',
  'the',
  'a',
  'with',
  'load',
  'incremental',
  'quality',
  'checks',
  'Airflow',
  'dbt',
  'Snowflake',
  'events',
  'late-arriving',
  'dedupe',
  'keys',
];

function sentence(random: () => number): string {
  const n = 6 + Math.floor(random() * 14);
  const words: string[] = [];
  for (let i = 0; i < n; i += 1) words.push(WORDS[Math.floor(random() * WORDS.length)] ?? 'x');
  return `${words.join(' ')}.`;
}

function paragraph(random: () => number): string {
  const n = 2 + Math.floor(random() * 6);
  const sentences: string[] = [];
  for (let i = 0; i < n; i += 1) sentences.push(sentence(random));
  return sentences.join(' ');
}

function sqlFence(random: () => number, lines: number): string {
  const body: string[] = [];
  for (let i = 0; i < lines; i += 1) {
    body.push(
      `  SELECT col_${i}, SUM(amount_${i}) AS total FROM analytics.fct_orders_${i % 7} GROUP BY 1; -- ${i}`,
    );
    if (random() < 0.1) body.push('');
  }
  return `\`\`\`sql\n${body.join('\n')}\n\`\`\``;
}

/** An answer of sections, paragraphs, lists and long ```sql fences, at least `size` characters long. */
function buildAnswer(size: number, seed: number): string {
  const random = rng(seed);
  const blocks: string[] = ['# Data Engineering Solution'];
  let section = 0;
  while (blocks.join('\n\n').length < size) {
    section += 1;
    blocks.push(`## ${section}. Section about ${WORDS[section % WORDS.length]}`);
    const items = 1 + Math.floor(random() * 4);
    for (let i = 0; i < items; i += 1) {
      const roll = random();
      if (roll < 0.55) blocks.push(paragraph(random));
      else if (roll < 0.75) blocks.push(['- one item', '- another item', `- ${sentence(random)}`].join('\n'));
      else blocks.push(sqlFence(random, 20 + Math.floor(random() * 30)));
    }
  }
  return `${blocks.join('\n\n')}\n`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const OPENER = /^([ \t]*)(`{3,}|~{3,})(.*)$/;

/** Whether every fence opened in `text` is closed again (same marker char, at least as long). */
function fencesBalanced(text: string): boolean {
  let open: { char: string; length: number } | undefined;
  for (const line of text.split('\n')) {
    if (open) {
      const close = /^[ \t]*(`+|~+)[ \t]*$/.exec(line)?.[1];
      if (close && close[0] === open.char && close.length >= open.length) open = undefined;
    } else {
      const m = OPENER.exec(line);
      const marker = m?.[2];
      if (marker && !(marker[0] === '`' && (m?.[3] ?? '').includes('`'))) {
        open = { char: marker[0] ?? '`', length: marker.length };
      }
    }
  }
  return open === undefined;
}

/**
 * Joins messages back into text, removing the fence lines the splitter added at a split: a closing line
 * at the end of one message (after a newline it may have added) and the re-opening line at the top of the
 * next. Where that is ambiguous, the reading that reproduces `original` is taken (up to whitespace at its
 * very end, which the splitter may drop); returns undefined if there is none.
 */
function rejoin(messages: readonly string[], original: string): string | undefined {
  const closing = /(\n?)[ \t]*(?:`{3,}|~{3,})$/;
  const walk = (i: number, text: string, reopened: boolean): string | undefined => {
    const raw = messages[i];
    if (raw === undefined) return text;
    if (reopened && !/^[ \t]*(?:`{3,}|~{3,})[^\n]*\n/.test(raw)) return undefined;
    const message = reopened ? raw.slice(raw.indexOf('\n') + 1) : raw;
    const readings: { text: string; added: boolean }[] = [{ text: message, added: false }];
    const close = closing.exec(message);
    if (close && i + 1 < messages.length) {
      const before = message.slice(0, close.index);
      readings.push({ text: before + close[1], added: true });
      if (close[1]) readings.push({ text: before, added: true });
    }
    for (const reading of readings) {
      const joined = text + reading.text;
      if (!original.startsWith(joined)) continue;
      const result = walk(i + 1, joined, reading.added);
      // Whitespace left after the last message is dropped rather than sent as a message of its own.
      const complete = result !== undefined && /^\s*$/.test(original.slice(result.length));
      if (result !== undefined && (i + 1 < messages.length || complete)) return result;
    }
    return undefined;
  };
  return walk(0, '', false);
}

function streamSplit(
  text: string,
  chunks: readonly number[],
  limits?: { softLimit?: number; hardLimit?: number },
) {
  const splitter = new StreamingMessageSplitter(limits);
  const ops: SplitOp[] = [];
  let i = 0;
  let c = 0;
  while (i < text.length) {
    const size = chunks[c % chunks.length] ?? 1;
    c += 1;
    ops.push(...splitter.push(text.slice(i, i + size)));
    i += size;
  }
  ops.push(...splitter.end());
  return ops;
}

function randomSizes(random: () => number, max: number): number[] {
  return Array.from({ length: 97 }, () => Math.floor(random() * (max + 1)));
}

/** No 'break' first or last, no two in a row, no empty or whitespace-only message. */
function expectWellFormedOps(ops: readonly SplitOp[]): void {
  expect(ops[0]?.kind).not.toBe('break');
  expect(ops.at(-1)?.kind).not.toBe('break');
  for (let i = 1; i < ops.length; i += 1) {
    expect(ops[i - 1]?.kind === 'break' && ops[i]?.kind === 'break').toBe(false);
  }
  for (const message of applySplitOps(ops)) expect(message).toMatch(/\S/);
}

describe('splitMarkdown', () => {
  it('keeps a short answer in one message', () => {
    const text = '## Plan\n\nLoad the events.\n\n```sql\nSELECT 1;\n```\n';
    expect(splitMarkdown(text)).toEqual([text]);
    expect(splitMarkdown('hi')).toEqual(['hi']);
    expect(splitMarkdown('')).toEqual([]);
  });

  it('splits a 30,000-character answer at headings and paragraph starts, within limits', () => {
    const text = buildAnswer(30_000, 1);
    expect(text.length).toBeGreaterThanOrEqual(30_000);
    const messages = splitMarkdown(text);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const [i, message] of messages.entries()) {
      expect(message.length).toBeLessThanOrEqual(SLACK_MARKDOWN_LIMIT);
      expect(message.length).toBeLessThanOrEqual(11_000 + 4);
      expect(fencesBalanced(message), `message ${i}`).toBe(true);
      expect(message).toMatch(/\S/);
      if (i > 0) {
        const previous = messages[i - 1] ?? '';
        const atHeading = /^#{1,6} /.test(message);
        const atParagraph = previous.endsWith('\n\n');
        expect(
          atHeading || atParagraph,
          `message ${i} starts with ${JSON.stringify(message.slice(0, 40))}`,
        ).toBe(true);
      }
    }
    for (const message of messages.slice(0, -1)) expect(message.length).toBeGreaterThan(9_000);
    expect(rejoin(messages, text)).toBe(text);
  });

  it('splits several generated answers within limits and gives the text back', () => {
    for (let seed = 2; seed < 12; seed += 1) {
      const text = buildAnswer(20_000 + seed * 3_000, seed);
      const messages = splitMarkdown(text);
      for (const message of messages) {
        expect(message.length).toBeLessThanOrEqual(11_004);
        expect(fencesBalanced(message)).toBe(true);
      }
      expect(rejoin(messages, text)).toBe(text);
    }
  });

  it('closes and re-opens a 20,000-character code fence with its language', () => {
    const lines: string[] = [];
    for (let i = 0; lines.join('\n').length < 20_000; i += 1) {
      lines.push(`INSERT INTO staging.events_${i} SELECT * FROM raw.events WHERE id = ${i};`);
    }
    const text = `Here is the migration:\n\n\`\`\`sql\n${lines.join('\n')}\n\`\`\`\n\nRun it once.\n`;
    const messages = splitMarkdown(text);
    expect(messages.length).toBeGreaterThanOrEqual(2);
    const [first = '', second = ''] = messages;
    expect(first.startsWith('Here is the migration:\n\n```sql\n')).toBe(true);
    expect(first.endsWith(';\n```')).toBe(true);
    expect(second.startsWith('```sql\nINSERT INTO')).toBe(true);
    expect(messages.at(-1)?.endsWith('Run it once.\n')).toBe(true);
    for (const message of messages) {
      expect(message.length).toBeLessThanOrEqual(11_004);
      expect(fencesBalanced(message)).toBe(true);
    }
    expect(rejoin(messages, text)).toBe(text);
  });

  it('re-opens ~~~ fences and indented fences the same way', () => {
    const body = Array.from({ length: 40 }, (_, i) => `   step ${i}: ${'x'.repeat(20)}`).join('\n');
    const text = `1. Do this:\n\n   ~~~~yaml title\n${body}\n   ~~~~\n`;
    const messages = splitMarkdown(text, { softLimit: 300, hardLimit: 600 });
    expect(messages.length).toBeGreaterThan(1);
    for (const [i, message] of messages.entries()) {
      expect(message.length).toBeLessThanOrEqual(600 + 8);
      expect(fencesBalanced(message)).toBe(true);
      if (i > 0) expect(message.startsWith('   ~~~~yaml title\n')).toBe(true);
      if (i < messages.length - 1) expect(message.endsWith('\n   ~~~~')).toBe(true);
    }
    expect(rejoin(messages, text)).toBe(text);
  });

  it('cuts a 15,000-character line without newlines, preferring spaces', () => {
    const words: string[] = [];
    for (let i = 0; words.join(' ').length < 15_000; i += 1) words.push(`word${i}`);
    const text = words.join(' ');
    const messages = splitMarkdown(text);
    expect(messages.length).toBe(2);
    for (const message of messages) expect(message.length).toBeLessThanOrEqual(11_000);
    expect(messages[0]?.endsWith(' ')).toBe(true);
    expect(messages.join('')).toBe(text);

    const solid = 'a'.repeat(15_000);
    const pieces = splitMarkdown(solid);
    expect(pieces.map((p) => p.length)).toEqual([11_000, 4_000]);
    expect(pieces.join('')).toBe(solid);
  });

  it('cuts a very long line inside a fence and keeps the fence balanced', () => {
    const text = `\`\`\`json\n${'{"k":1},'.repeat(3_000)}\n\`\`\`\n`;
    const messages = splitMarkdown(text);
    expect(messages.length).toBe(3);
    for (const message of messages) {
      expect(message.length).toBeLessThanOrEqual(11_004);
      expect(fencesBalanced(message)).toBe(true);
      expect(message.startsWith('```json\n')).toBe(true);
    }
    expect(rejoin(messages, text)).toBe(text);
  });

  it('breaks before a heading or after a blank line only once past the soft limit', () => {
    const para = (n: number) => `${'p'.repeat(n)}\n`;
    const text = `${para(50)}\n${para(50)}\n## Heading\n${para(50)}${para(50)}\n${para(50)}`;
    const messages = splitMarkdown(text, { softLimit: 100, hardLimit: 1_000 });
    expect(messages).toEqual([
      `${para(50)}\n${para(50)}\n`,
      `## Heading\n${para(50)}${para(50)}\n`,
      para(50),
    ]);
  });

  it('does not break inside a fence at the soft limit', () => {
    const code = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n\n');
    const text = `${'intro '.repeat(10)}\n\n\`\`\`\n${code}\n\`\`\`\n\nafter\n`;
    const messages = splitMarkdown(text, { softLimit: 100, hardLimit: 2_000 });
    expect(messages).toEqual([`${'intro '.repeat(10)}\n\n\`\`\`\n${code}\n\`\`\`\n\n`, 'after\n']);
  });

  it('closes a fence the answer left open', () => {
    expect(splitMarkdown('text\n```sql\nSELECT 1;')).toEqual(['text\n```sql\nSELECT 1;\n```']);
  });

  it('never produces an empty or whitespace-only message', () => {
    const text = `${'x'.repeat(90)}\n\n\n\n\n   \n\n`;
    for (const limits of [{ softLimit: 20, hardLimit: 91 }, { softLimit: 64, hardLimit: 64 }, {}]) {
      const ops = streamSplit(text, [1, 3, 7], limits);
      expectWellFormedOps(ops);
    }
    expect(splitMarkdown('\n\n  \n')).toEqual([]);
  });
});

describe('StreamingMessageSplitter', () => {
  it('gives the same messages as splitMarkdown for random chunk sizes', () => {
    const text = buildAnswer(30_000, 1);
    const expected = splitMarkdown(text);
    const random = rng(99);
    for (const max of [1, 7, 64, 500, 5_000]) {
      const ops = streamSplit(text, randomSizes(random, max));
      expectWellFormedOps(ops);
      expect(applySplitOps(ops)).toEqual(expected);
    }
  });

  it('gives the same messages as splitMarkdown on random Markdown with small limits', () => {
    const random = rng(2024);
    const lineKinds = [
      () => '',
      () => '',
      () => `## ${sentence(random)}`,
      () => paragraph(random),
      () => sentence(random),
      () => '```sql',
      () => '```',
      () => '~~~',
      () => '    ```',
      () => `${'y'.repeat(Math.floor(random() * 400))}`,
      () => `@here ${'z'.repeat(Math.floor(random() * 80))}@everyone`,
      () => '😀'.repeat(Math.floor(random() * 90)),
      () => '   \t ',
      () => '# h',
    ];
    for (let run = 0; run < 600; run += 1) {
      const lines: string[] = [];
      const n = 1 + Math.floor(random() * 40);
      for (let i = 0; i < n; i += 1) lines.push(lineKinds[Math.floor(random() * lineKinds.length)]?.() ?? '');
      const text = lines.join('\n') + (random() < 0.5 ? '\n' : '');
      const hardLimit = 64 + Math.floor(random() * 400);
      const limits = { softLimit: Math.floor(hardLimit * random()), hardLimit };
      const expected = splitMarkdown(text, limits);
      const ops = streamSplit(text, randomSizes(random, 1 + Math.floor(random() * 40)), limits);
      const context = JSON.stringify({ text, limits });
      expectWellFormedOps(ops);
      expect(applySplitOps(ops), context).toEqual(expected);
      for (const op of ops) if (op.kind === 'text') expect(op.text, context).not.toMatch(LONE_SURROGATE);
      for (const message of expected) {
        expect(message.length).toBeLessThanOrEqual(hardLimit + 1 + Math.floor(hardLimit / 4));
        expect(fencesBalanced(message), context).toBe(true);
      }
      if (fencesBalanced(text)) expect(rejoin(expected, text), context).toBeDefined();
    }
  });

  it('emits text while a line is still streaming', () => {
    const splitter = new StreamingMessageSplitter();
    expect(splitter.push('Hel')).toEqual([{ kind: 'text', text: 'Hel' }]);
    expect(splitter.push('lo wor')).toEqual([{ kind: 'text', text: 'lo wor' }]);
    expect(splitter.push('ld\n``')).toEqual([{ kind: 'text', text: 'ld\n' }]);
    expect(splitter.push('`sql\nSEL')).toEqual([{ kind: 'text', text: '```sql\nSEL' }]);
    expect(splitter.end()).toEqual([{ kind: 'text', text: '\n```' }]);
  });

  it('keeps a streamed answer mention-safe end to end', () => {
    const text = `${buildAnswer(25_000, 5)}\nThanks <!channel>, ping <@U1|ana> and @here.\n`;
    const safe = new MentionSafeStream();
    const splitter = new StreamingMessageSplitter();
    const ops: SplitOp[] = [];
    const random = rng(5);
    for (let i = 0; i < text.length; ) {
      const size = 1 + Math.floor(random() * 30);
      ops.push(...splitter.push(safe.push(text.slice(i, i + size))));
      i += size;
    }
    ops.push(...splitter.push(safe.flush()), ...splitter.end());
    const messages = applySplitOps(ops);
    expect(messages).toEqual(splitMarkdown(neutraliseMentions(text)));
    expect(messages.join('')).not.toMatch(/<!channel>|<@U1|(?<!\w)@here\b/);
  });

  it('rejects push after end', () => {
    const splitter = new StreamingMessageSplitter();
    splitter.end();
    expect(() => splitter.push('x')).toThrow();
  });
});
