import { describe, expect, it } from 'vitest';
import {
  exposeLinks,
  LinkSafeStream,
  MentionSafeStream,
  StreamingMessageSplitter,
} from '../../src/render/index.js';
import { rng } from '../support/seeded-random.js';

function streamed(chunks: readonly string[]): string {
  const stream = new LinkSafeStream();
  let out = '';
  for (const chunk of chunks) out += stream.push(chunk);
  return out + stream.flush();
}

/** The answer writer's pipeline (src/core/tasks/answer-writer.ts): links → mentions → splitter, in 1-char chunks. */
function throughAnswerPipeline(text: string): string[] {
  const links = new LinkSafeStream();
  const mentions = new MentionSafeStream();
  const splitter = new StreamingMessageSplitter();
  const ops = [];
  for (const ch of text) ops.push(...splitter.push(mentions.push(links.push(ch))));
  ops.push(...splitter.push(mentions.push(links.flush()) + mentions.flush()), ...splitter.end());
  const messages = [''];
  for (const op of ops) {
    if (op.kind === 'break') messages.push('');
    else messages[messages.length - 1] += op.text;
  }
  return messages;
}

describe('exposeLinks', () => {
  it.each([
    ['[Re-authenticate](https://evil.example/login)', 'Re-authenticate (https://evil.example/login)'],
    ['see [docs](https://x.io/a "Title") now', 'see docs (https://x.io/a) now'],
    ['[https://x.io](https://x.io)', 'https://x.io'],
    ['[x.io/a](https://x.io/a)', 'https://x.io/a'],
    ['[wiki](https://en.wikipedia.org/wiki/Foo_(bar))', 'wiki (https://en.wikipedia.org/wiki/Foo_(bar))'],
    ['[a](<https://x.io/a b>)', 'a (https://x.io/a b)'],
    ['<https://evil.example|click>', 'click (https://evil.example)'],
    ['<mailto:a@b.io|mail me>', 'mail me (mailto:a@b.io)'],
    ['<https://plain.example>', '<https://plain.example>'],
    ['<!date^1392734382^{date}^https://evil.example|Feb 18>', 'Feb 18 (https://evil.example)'],
    ['![x](https://evil.example/?d=secret)', 'image not shown: x (`https://evil.example/?d=secret`)'],
    ['![](https://evil.example/a`b)', 'image not shown: (`https://evil.example/a%60b`)'],
    ['[a [b] c](https://evil.example)', '[a [b] c] (https://evil.example)'],
    ['[click][1]\n\n[1]: https://evil.example', '[click][1]\n\n[1]\u200B: https://evil.example'],
    ['[click](https://evil.example', '[click] (https://evil.example'],
    [`<https://evil.example/${'a'.repeat(3000)}|x>`, `<\u200Bhttps://evil.example/${'a'.repeat(3000)}|x>`],
    ['<@U123|ana> and <#C1|data> and <!here>', '<@U123|ana> and <#C1|data> and <!here>'],
    [
      '```js\nhandlers[name](event) // [x](y)\n```\n[x](https://e.io)',
      '```js\nhandlers[name](event) // [x](y)\n```\nx (https://e.io)',
    ],
    ['```a`b\n[x](https://e.io)', '```a`b\nx (https://e.io)'],
    ['a[0] and f(x) and ! and [not a link]', 'a[0] and f(x) and ! and [not a link]'],
  ])('%j → %j', (input, expected) => {
    expect(exposeLinks(input)).toBe(expected);
  });

  it.each([
    ['link label', '[<https://evil.example|Login>](https://good.example)'],
    ['link URL', '[x](https://a.example<https://evil.example|Login>)'],
    ['link URL in <>', '[x](<https://a.example<https://evil.example|Login>)'],
    ['image alt', '![<https://evil.example|Login>](https://good.example)'],
    ['image URL', '![x](https://a.example/`<https://evil.example|Login>`)'],
    ['too long date', `<!date^1^{date}^https://evil.example/${'a'.repeat(2600)}|click>`],
    ['too long link', `<https://evil.example/${'a'.repeat(2600)}|click>`],
    ['date around a link', '<!date^1^{date}^https://evil.example|[click>](https://good.example)'],
    ['date without fallback', '<!date^1^{date}^https://evil.example>'],
    ['date broken by a newline', '<!date^1^{date}^https://evil.example|a\nb>'],
  ])('no hidden Slack link target reaches Slack (%s)', (_, input) => {
    for (const message of throughAnswerPipeline(input)) {
      expect(message).not.toMatch(/<https?:|<!date|<[^<>\s\u200B][^<>]*\|[^<>]*>/);
    }
    expect(throughAnswerPipeline(input).join('')).toContain('evil.example');
  });

  it('never leaves a link target or image syntax in hostile text', () => {
    const random = rng(99);
    const parts = [
      '[',
      ']',
      '(',
      ')',
      '!',
      '<',
      '>',
      '|',
      'https://e.io/x',
      'label',
      ' ',
      '\n',
      '```',
      ':',
      '"',
      '`',
    ];
    for (let run = 0; run < 20000; run += 1) {
      let text = '';
      const n = 1 + Math.floor(random() * 25);
      for (let i = 0; i < n; i += 1) text += parts[Math.floor(random() * parts.length)];
      const out = exposeLinks(text);
      // Outside code fences, no `](` or `]:` can survive, so no renderer sees a link target or definition.
      if (!text.includes('```')) {
        expect(out, JSON.stringify(text)).not.toMatch(/\]\(|\]:/);
      }
    }
  });

  it('gives the same result however the text is chunked', () => {
    const samples = [
      'Go [Re-authenticate](https://evil.example/login "t") or <https://evil.example|click> ![x](https://evil.example/?d=1)',
      '```\n[x](y)\n```\n[a [b] c](https://e.io) [r]: https://e.io <!date^1^{date}^https://e.io|d>',
      'text with [brackets] and a(b) and ! bang and <not a link> and <https://ok.example>',
      '[<https://e.io|L>](https://g.io) ![x](u<v>) <!date^1^{date}^https://e.io> a < b\n<x [a](b "t" ) ![y](<c d>)',
    ];
    const random = rng(5);
    for (const text of samples) {
      const expected = exposeLinks(text);
      for (let at = 0; at <= text.length; at += 1) {
        expect(streamed([text.slice(0, at), text.slice(at)])).toBe(expected);
      }
      for (let run = 0; run < 300; run += 1) {
        const chunks: string[] = [];
        let i = 0;
        while (i < text.length) {
          const size = Math.floor(random() * 9);
          chunks.push(text.slice(i, i + size));
          i += size;
        }
        expect(streamed(chunks), JSON.stringify(chunks)).toBe(expected);
      }
    }
  });

  it('reads an unfinished link once however small the chunks (no re-parse from its start on every push)', () => {
    const parsedInOneCharChunks = (text: string) => {
      const stream = new LinkSafeStream();
      for (const ch of text) stream.push(ch);
      stream.flush();
      return stream.charsParsed;
    };
    // Near-maximum-length parts, as in the measured attack: label, destination, title.
    const link = (n: number) =>
      `[${'l'.repeat(n / 4)}](https://x.io/${'d'.repeat(n)} "${'t'.repeat(n / 4)}") `;
    const small = parsedInOneCharChunks(link(800).repeat(4));
    const large = parsedInOneCharChunks(link(1600).repeat(4));
    // Twice as long links: about twice the work (it was about four times, each push re-reading the link).
    expect(large / small).toBeLessThan(2.2);
    const whole = new LinkSafeStream();
    whole.push(link(1600).repeat(4));
    whole.flush();
    expect(large).toBeLessThanOrEqual(whole.charsParsed * 1.1);
  });

  it('releases plain text at once', () => {
    const stream = new LinkSafeStream();
    expect(stream.push('Hello world. ')).toBe('Hello world. ');
    expect(stream.push('See [docs](https://x')).toBe('See ');
    expect(stream.push('.io) ok')).toBe('docs (https://x.io) ok');
  });
});
