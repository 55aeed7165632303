import { describe, expect, it } from 'vitest';
import { MentionSafeStream, neutraliseMentions } from '../../src/render/index.js';
import { rng } from '../support/seeded-random.js';

function streamed(chunks: readonly string[]): string {
  const stream = new MentionSafeStream();
  let out = '';
  for (const chunk of chunks) out += stream.push(chunk);
  return out + stream.flush();
}

function randomChunks(text: string, random: () => number, maxSize: number): string[] {
  const chunks: string[] = [];
  let i = 0;
  while (i < text.length) {
    const size = Math.floor(random() * (maxSize + 1)); // 0 included: empty deltas happen too
    chunks.push(text.slice(i, i + size));
    i += size;
  }
  return chunks;
}

const SAMPLES = [
  'Heads up <!channel>: the load failed. Ping <@U12345|bob> or @here, or <!subteam^S1|@x>.',
  '<!here|here><!everyone>@everyone,@channel;<@W99> <#C1|data> <https://example.com|docs> <!date^1^{date}|d>',
  'Email ops@here.com, not @heresy. <!subteam^S0614TZR7> and <@U1|name with @channel inside>!',
  'Nested <!subteam^S1|<@U1>> and <!here|<!here|<@U2>>> and a < b > c and x <@ y and &lt;!here&gt;',
  '```sql\nSELECT * FROM t WHERE a <@ b; -- <!channel>\n```\nDone @Everyone',
  `Long label <!here|${'z'.repeat(230)}> then <@U7|${'q'.repeat(160)}> end @here`,
  'emoji 😀 <@U1> 😀@here😀',
];

describe('MentionSafeStream', () => {
  it('releases plain text at once and holds back only a possible mention', () => {
    const stream = new MentionSafeStream();
    expect(stream.push('Hello ')).toBe('Hello ');
    expect(stream.push('world <!ch')).toBe('world ');
    expect(stream.push('annel> and @ev')).toBe('@\u200Bchannel and ');
    expect(stream.push('eryone')).toBe('');
    expect(stream.push('!')).toBe('@\u200Beveryone!');
    expect(stream.push(' <not a mention')).toBe(' ');
    expect(stream.push('x'.repeat(250))).not.toBe('');
    expect(stream.flush()).toBe('');
  });

  it('holds an unclosed < for at most 200 characters', () => {
    const stream = new MentionSafeStream();
    expect(stream.push('a <@U1|')).toBe('a ');
    const out = stream.push('n'.repeat(200));
    expect(out.startsWith('<\u200B@U1|')).toBe(true);
    expect(out + stream.push('>') + stream.flush()).toBe(neutraliseMentions(`<@U1|${'n'.repeat(200)}>`));
  });

  it('flush returns the held tail, neutralised', () => {
    const stream = new MentionSafeStream();
    expect(stream.push('end @here')).toBe('end ');
    expect(stream.flush()).toBe('@\u200Bhere');
  });

  it('matches neutraliseMentions for every single split point', () => {
    for (const text of SAMPLES) {
      const expected = neutraliseMentions(text);
      for (let at = 0; at <= text.length; at += 1) {
        expect(streamed([text.slice(0, at), text.slice(at)]), `${JSON.stringify(text)} split at ${at}`).toBe(
          expected,
        );
      }
    }
  });

  it('matches neutraliseMentions for every pair of split points', () => {
    for (const text of SAMPLES.slice(0, 4)) {
      const expected = neutraliseMentions(text);
      for (let a = 0; a <= text.length; a += 1) {
        for (let b = a; b <= text.length; b += 3) {
          expect(streamed([text.slice(0, a), text.slice(a, b), text.slice(b)])).toBe(expected);
        }
      }
    }
  });

  it('matches neutraliseMentions for random chunkings (fixed seed)', () => {
    const random = rng(7);
    for (const text of SAMPLES) {
      const expected = neutraliseMentions(text);
      for (let run = 0; run < 200; run += 1) {
        const chunks = randomChunks(text, random, 1 + Math.floor(random() * 12));
        expect(streamed(chunks), JSON.stringify(chunks)).toBe(expected);
      }
    }
  });

  it('matches neutraliseMentions on random mention-heavy text with random chunkings', () => {
    const parts = [
      '<',
      '>',
      '!',
      '@',
      '|',
      'here',
      'channel',
      'everyone',
      'subteam^S1',
      'U1',
      '<@U2',
      '<!here',
      '<!subteam^S3|',
      ' ',
      '\n',
      'x',
      '<#C1|',
      '&lt;',
      '\u200B',
      'é',
      'y'.repeat(60),
    ];
    const random = rng(1234);
    for (let run = 0; run < 1500; run += 1) {
      let text = '';
      const n = 1 + Math.floor(random() * 20);
      for (let i = 0; i < n; i += 1) text += parts[Math.floor(random() * parts.length)];
      const chunks = randomChunks(text, random, 1 + Math.floor(random() * 8));
      expect(streamed(chunks), JSON.stringify(chunks)).toBe(neutraliseMentions(text));
    }
  });

  it('can be reused after flush', () => {
    const stream = new MentionSafeStream();
    stream.push('a <!he');
    expect(stream.flush()).toBe('<!he');
    expect(stream.push('@here ')).toBe('@\u200Bhere ');
  });
});
