import { describe, expect, it } from 'vitest';
import { neutraliseMentions, slackTextToPlain, truncateForSlack } from '../../src/render/index.js';
import { inertName, NAME_MAX } from '../../src/render/names.js';
import { rng } from '../support/seeded-random.js';

const Z = '\u200B';

/** Anything Slack would turn into a notification: a complete mention token or a bare broadcast word. */
const LIVE_TOKEN =
  /<(?:!(?:channel|here|everyone)(?:\|[^<>]*)?|!subteam\^[A-Z0-9]+(?:\|[^<>]*)?|@[UW][A-Z0-9]{0,31}(?:\|[^<>]*)?)>/i;
const LIVE_BARE = /(?<![\p{L}\p{N}])@(?:channel|here|everyone)(?![\p{L}\p{N}])/iu;

function isLive(text: string): boolean {
  return LIVE_TOKEN.test(text) || LIVE_BARE.test(text);
}

describe('neutraliseMentions', () => {
  it.each([
    ['<!channel>', `@${Z}channel`],
    ['<!here>', `@${Z}here`],
    ['<!everyone>', `@${Z}everyone`],
    ['<!here|here>', `@${Z}here`],
    ['<!channel|@channel>', `@${Z}channel`],
    ['<!EVERYONE>', `@${Z}everyone`],
    ['<!subteam^S123>', `@${Z}group`],
    ['<!subteam^S123|@handle>', `@${Z}handle`],
    ['<@U123>', `@${Z}U123`],
    ['<@W123>', `@${Z}W123`],
    ['<@U123|name>', `@${Z}name`],
    ['@channel', `@${Z}channel`],
    ['@here', `@${Z}here`],
    ['@everyone', `@${Z}everyone`],
    ['Hey @HERE, look', `Hey @${Z}HERE, look`],
    ['(@Channel)', `(@${Z}Channel)`],
    ['_@here_', `_@${Z}here_`],
    ['__@channel__', `__@${Z}channel__`],
  ])('neutralises %j', (input, expected) => {
    const out = neutraliseMentions(input);
    expect(out).toBe(expected);
    expect(isLive(out)).toBe(false);
  });

  it('neutralises mentions inside longer text and code', () => {
    const input =
      'Ping <!here> and <@U0ABC|ana>, cc <!subteam^S9|@dba-team>.\n```sql\n-- <!channel>\nSELECT 1;\n```';
    const out = neutraliseMentions(input);
    expect(out).toBe(
      `Ping @${Z}here and @${Z}ana, cc @${Z}dba-team.\n\`\`\`sql\n-- @${Z}channel\nSELECT 1;\n\`\`\``,
    );
  });

  it('leaves words that only start like a broadcast, and e-mail addresses, alone', () => {
    for (const text of ['@heresy', '@channels', '@everyones', 'ops@here.com', 'x@channel', '@\u200Bhere']) {
      expect(neutraliseMentions(text)).toBe(text);
    }
  });

  it('leaves channel links, URLs, dates and escaped text alone', () => {
    const text =
      'See <#C123|data-eng> and <#C999>, <https://example.com/a?b=1|the docs>, <https://example.com>, ' +
      '<mailto:a@b.c|a@b.c>, <!date^1392734382^{date} at {time}|Feb 18>, &lt;!here&gt; and a < b > c, x <@ y';
    expect(neutraliseMentions(text)).toBe(text);
  });

  it('neutralises labels that carry broadcasts', () => {
    const out = neutraliseMentions('<@U1|x @channel y> <!subteam^S1|@here>');
    expect(out).toBe(`@${Z}x @${Z}channel y @${Z}here`);
    expect(isLive(out)).toBe(false);
  });

  it('does not let a nested mention join its outer token into a live one', () => {
    for (const text of [
      '<!subteam^S1|<@U1>>',
      '<!here|<!here|<@U1>>>',
      '<@U1|<!channel>>',
      '<!channel|<@U1|<!here>>>',
      `<!here|${'x'.repeat(400)}>`,
      `<@U1|${'y'.repeat(151)}>`,
    ]) {
      const out = neutraliseMentions(text);
      expect(isLive(out), text).toBe(false);
      expect(neutraliseMentions(out)).toBe(out);
    }
  });

  it('is idempotent on the listed forms', () => {
    const text =
      '<!channel> <!here|h> <!everyone> <!subteam^S1> <!subteam^S1|@x> <@U1> <@W2|w> @here @Channel <#C1|c>';
    const once = neutraliseMentions(text);
    expect(neutraliseMentions(once)).toBe(once);
  });

  it('never leaves a live mention and is idempotent on random text', () => {
    const parts = [
      '<',
      '>',
      '!',
      '@',
      '|',
      '^',
      'here',
      'channel',
      'everyone',
      'subteam^S1',
      'U1',
      'W',
      '<@U2',
      '<!here',
      '<!subteam^S3|',
      ' ',
      '\n',
      'x',
      '#',
      '<#C1|',
      'https://a.b',
      '&lt;',
      '\u200B',
      'é',
    ];
    const random = rng(42);
    for (let run = 0; run < 3000; run += 1) {
      let text = '';
      const n = 1 + Math.floor(random() * 14);
      for (let i = 0; i < n; i += 1) text += parts[Math.floor(random() * parts.length)];
      const once = neutraliseMentions(text);
      expect(isLive(once), JSON.stringify(text)).toBe(false);
      expect(neutraliseMentions(once), JSON.stringify(text)).toBe(once);
    }
  });
});

describe('slackTextToPlain', () => {
  it.each([
    ['<@U1|ana>', '@ana'],
    ['<@U1>', '@U1'],
    ['<#C1|data>', '#data'],
    ['<#C1>', '#C1'],
    ['<!subteam^S1|@dba>', '@dba'],
    ['<!subteam^S1>', '@S1'],
    ['<!here>', '@here'],
    ['<!channel|channel>', '@channel'],
    ['<!everyone>', '@everyone'],
    ['<https://x|label>', 'label (https://x)'],
    ['<https://x>', 'https://x'],
    ['<https://x.io/a|x.io/a>', 'https://x.io/a'],
    ['<mailto:a@b|a@b>', 'a@b'],
    ['<mailto:a@b>', 'a@b'],
    ['<!date^1392734382^{date}|Feb 18th>', 'Feb 18th'],
    ['a &lt;b&gt; &amp; c', 'a <b> & c'],
    ['&amp;lt;', '&lt;'],
  ])('turns %j into %j', (input, expected) => {
    expect(slackTextToPlain(input)).toBe(expected);
  });

  it('handles a whole command text', () => {
    expect(
      slackTextToPlain(
        'design a pipeline for <#C1|events> with <@U2|bo> &amp; see <https://d.io/x?a=1&amp;b=2|spec>',
      ),
    ).toBe('design a pipeline for #events with @bo & see spec (https://d.io/x?a=1&b=2)');
  });
});

describe('truncateForSlack', () => {
  it('keeps short text', () => {
    expect(truncateForSlack('short', 10)).toBe('short');
    expect(truncateForSlack('exactly10!', 10)).toBe('exactly10!');
  });

  it('cuts at a word boundary with an ellipsis', () => {
    const out = truncateForSlack('design a pipeline for user analytics', 20);
    expect(out).toBe('design a pipeline…');
    expect(out.length).toBeLessThanOrEqual(20);
  });

  it('cuts inside a long word when there is no boundary nearby', () => {
    const out = truncateForSlack('a supercalifragilisticexpialidocious', 12);
    expect(out).toBe('a supercali…');
  });

  it('handles tiny limits and surrogate pairs', () => {
    expect(truncateForSlack('hello', 0)).toBe('');
    expect(truncateForSlack('hello', 1)).toBe('…');
    const out = truncateForSlack('😀😀😀😀', 4);
    expect(out.length).toBeLessThanOrEqual(4);
    expect(out).toBe('😀…');
  });
});

describe('inertName', () => {
  it.each([
    ['IT: re-login at https://evil.example', 'IT: re-login at'],
    ['go to www.evil.com now', 'go to now'],
    ['mail a@b.com', 'mail'],
    ['visit evil.example', 'visit evil\u2024example'],
    ['*bold* _it_ ~del~ `code`', 'bold it del code'],
    ['<!channel> <@U1>', '!channel'],
    ['Ana María', 'Ana María'],
  ])('%j → %j', (name, shown) => {
    expect(inertName(name)).toBe(shown);
  });

  it('caps a name at NAME_MAX characters', () => {
    const shown = inertName('x'.repeat(100));
    expect([...shown]).toHaveLength(NAME_MAX);
    expect(shown.endsWith('…')).toBe(true);
  });
});
