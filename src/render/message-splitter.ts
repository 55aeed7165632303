/**
 * Why this file exists: one Slack message holds at most 12,000 characters of markdown (and peers saw
 * block payloads fail near 13.2k), so a long answer must become several messages. It is split while it
 * streams, so each message can be finished and the next started without waiting for the whole answer.
 *
 * Rules (decisions depend only on the text, never on how it was chunked, so batch and streaming agree):
 * - Splits happen at line starts. Past `softLimit`, outside a code fence, a message ends before a heading
 *   or before a non-blank line that follows a blank line.
 * - A line that would take the message past `hardLimit` starts a new message; inside a fence the fence is
 *   closed at the end of the message and re-opened (same marker, language and indent) at the top of the
 *   next. A line that does not fit even in a fresh message is cut, preferably at a space.
 * - Text is released as soon as a line's start is known. Only near the limits is a little held back:
 *   fence lines until complete (they are short), lines that start past `softLimit` until they are
 *   complete or clearly too long, and the last 200 characters before `hardLimit`, to choose where to cut.
 * - No message is empty or whitespace only; every message has balanced fences (an answer that ends inside
 *   a fence gets it closed) and is at most `hardLimit` + one closing fence line long.
 */
import {
  BROADCAST_END,
  BROADCAST_START,
  classifyFenceLine,
  type Fence,
  fenceCandidate,
  isHeading,
  isHighSurrogate,
  isSpace,
  isWordish,
  type LineKind,
  MAX_CUT_WINDOW,
  MAX_FENCE_LINE,
  PLAIN,
} from './markdown-lines.js';

export interface SplitLimits {
  softLimit: number;
  hardLimit: number;
}

/** 'text' = append to the current message; 'break' = close the current message and start a new one. */
export type SplitOp = { kind: 'text'; text: string } | { kind: 'break' };

export const DEFAULT_SPLIT_LIMITS: SplitLimits = { softLimit: 9_000, hardLimit: 11_000 };

const MIN_HARD_LIMIT = 64;
function normaliseLimits(limits: Partial<SplitLimits> | undefined): SplitLimits {
  const hardIn = limits?.hardLimit;
  const hard = Math.max(
    MIN_HARD_LIMIT,
    Math.floor(Number.isFinite(hardIn) ? (hardIn as number) : DEFAULT_SPLIT_LIMITS.hardLimit),
  );
  const softIn = limits?.softLimit;
  const softDefault = hardIn === undefined ? DEFAULT_SPLIT_LIMITS.softLimit : Math.round((hard * 9) / 11);
  const soft = Math.min(
    hard,
    Math.max(1, Math.floor(Number.isFinite(softIn) ? (softIn as number) : softDefault)),
  );
  return { softLimit: soft, hardLimit: hard };
}

export class StreamingMessageSplitter {
  private readonly soft: number;
  private readonly hard: number;
  private readonly cutWindow: number;
  private readonly fenceLineMax: number;

  private pending = '';
  private ended = false;
  private ops: SplitOp[] = [];

  // The message being written.
  private msgLen = 0;
  /** Whether the message has non-whitespace text beyond a re-opened fence line. */
  private hasContent = false;
  /** Text of a message with no content yet (re-opened fence, whitespace): released with its first content. */
  private held = '';
  private endsWithNewline = true;
  /** Whether some message has been started, so the next one needs a 'break' first. */
  private started = false;

  // Markdown state.
  private fence: Fence | undefined;
  private prevBlank = false;
  private atLineStart = true;
  private line: LineKind = PLAIN;
  private lineNonBlank = false;
  /** The last few characters of the current line already placed, to keep cuts from exposing `@here`. */
  private lineTail = '';

  constructor(limits?: Partial<SplitLimits>) {
    const { softLimit, hardLimit } = normaliseLimits(limits);
    this.soft = softLimit;
    this.hard = hardLimit;
    this.cutWindow = Math.min(MAX_CUT_WINDOW, Math.floor(hardLimit / 4));
    this.fenceLineMax = Math.min(MAX_FENCE_LINE, Math.floor(hardLimit / 4));
  }

  /** Adds streamed text; returns what to do with the messages now. */
  push(text: string): SplitOp[] {
    if (this.ended) throw new Error('StreamingMessageSplitter: push() after end()');
    this.pending += text;
    this.process();
    return this.takeOps();
  }

  /** Flushes the rest at the end of the answer (closing a fence the answer left open). */
  end(): SplitOp[] {
    if (this.ended) return [];
    this.ended = true;
    this.process();
    if (this.hasContent && this.fence) this.emitRaw(this.closingFence(this.fence));
    this.held = '';
    return this.takeOps();
  }

  private takeOps(): SplitOp[] {
    const ops = this.ops;
    this.ops = [];
    return ops;
  }

  private process(): void {
    while (this.pending.length > 0) {
      const progressed = this.atLineStart ? this.startLine() : this.continueLine();
      if (!progressed) return;
    }
  }

  /** Decides, once enough of the line is known, whether the message ends before it. */
  private startLine(): boolean {
    const nl = this.pending.indexOf('\n');
    const complete = nl >= 0 || this.ended;
    const lineText = nl >= 0 ? this.pending.slice(0, nl) : this.pending;
    const total = nl >= 0 ? nl + 1 : this.pending.length;

    let kind: LineKind = PLAIN;
    const candidate = fenceCandidate(lineText, complete);
    if (candidate === 'wait') return false;
    if (candidate) {
      if (!complete && lineText.length <= this.fenceLineMax) return false;
      if (lineText.length <= this.fenceLineMax) kind = classifyFenceLine(lineText, this.fence);
    }

    const inZone = this.hasContent && this.msgLen > this.soft;
    // Past the soft limit a plain line is judged whole: complete, or already too long to fit.
    if (kind.kind === 'plain' && inZone && !complete && this.msgLen + total <= this.hard) return false;

    const judged = kind.kind === 'open' || (kind.kind === 'plain' && inZone);
    const overflow = judged && this.msgLen + total > this.hard;
    const softBreak =
      inZone &&
      !this.fence &&
      kind.kind !== 'close' &&
      /\S/.test(lineText) &&
      (this.prevBlank || isHeading(lineText, complete));
    if (softBreak || overflow) this.breakMessage();

    this.line = kind;
    this.atLineStart = false;
    this.lineNonBlank = false;
    this.lineTail = '';
    return true;
  }

  /** Places the current line's text, cutting it if it cannot fit. */
  private continueLine(): boolean {
    const nl = this.pending.indexOf('\n');
    const seg = nl >= 0 ? this.pending.slice(0, nl + 1) : this.pending;
    const lineEnds = nl >= 0 || this.ended;

    if (this.line.kind !== 'plain') {
      // Fence lines were complete when classified; a closing line may use the closing-fence allowance.
      this.placeLineText(seg);
      this.endLine();
      return true;
    }

    const room = Math.max(0, this.hard - this.msgLen);
    if (seg.length <= room) {
      if (lineEnds) {
        this.placeLineText(seg);
        this.endLine();
        return true;
      }
      let free = Math.min(seg.length, Math.max(0, this.hard - this.cutWindow - this.msgLen));
      if (free > 0 && isHighSurrogate(seg[free - 1])) free -= 1;
      if (free > 0) this.placeLineText(seg.slice(0, free));
      return false;
    }

    const cut = this.chooseCut(seg, room);
    this.placeLineText(seg.slice(0, cut));
    this.breakMessage();
    return true;
  }

  /** Where to cut a line that overflows: `room` characters still fit in this message. */
  private chooseCut(seg: string, room: number): number {
    const lowest = Math.max(1, room - this.cutWindow + 1);
    let cut = -1;
    for (let c = room; c >= lowest && cut < 0; c -= 1) {
      if (isSpace(seg[c - 1]) || isSpace(seg[c])) cut = c;
    }
    for (let c = room; c >= lowest && cut < 0; c -= 1) {
      if (!(isWordish(seg[c - 1]) && isWordish(seg[c]))) cut = c;
    }
    if (cut < 0) cut = room;
    if (cut > 0 && isHighSurrogate(seg[cut - 1])) cut -= 1;
    // Never leave a live-looking `@here` at either side of a cut.
    const before = this.lineTail + seg.slice(0, cut);
    const broadcastEnd = BROADCAST_END.exec(before.slice(-16));
    if (broadcastEnd) cut -= broadcastEnd[0].length - (broadcastEnd[0].startsWith('@') ? 0 : 1);
    else if (BROADCAST_START.test(seg.slice(cut)) && isWordish(before.at(-1))) cut -= 1;
    if (cut < 1 && !this.hasContent) cut = Math.max(1, Math.min(room, seg.length));
    return Math.max(0, cut);
  }

  private endLine(): void {
    if (this.line.kind === 'open') this.fence = this.line.fence;
    else if (this.line.kind === 'close') this.fence = undefined;
    this.prevBlank = !this.lineNonBlank;
    this.atLineStart = true;
    this.line = PLAIN;
  }

  private placeLineText(text: string): void {
    if (text === '') return;
    this.pending = this.pending.slice(text.length);
    if (/\S/.test(text)) this.lineNonBlank = true;
    this.lineTail = (this.lineTail + text).slice(-16);
    this.emitRaw(text);
  }

  /** Appends to the current message; a message is only started once it gets non-whitespace content. */
  private emitRaw(text: string): void {
    if (text === '') return;
    this.msgLen += text.length;
    this.endsWithNewline = text.endsWith('\n');
    if (this.hasContent) {
      this.pushText(text);
      return;
    }
    this.held += text;
    if (!/\S/.test(text)) return;
    this.hasContent = true;
    if (this.started) this.ops.push({ kind: 'break' });
    this.started = true;
    this.pushText(this.held);
    this.held = '';
  }

  private pushText(text: string): void {
    const last = this.ops.at(-1);
    if (last?.kind === 'text') last.text += text;
    else this.ops.push({ kind: 'text', text });
  }

  private closingFence(fence: Fence): string {
    return `${this.endsWithNewline ? '' : '\n'}${fence.indent}${fence.char.repeat(fence.length)}`;
  }

  /**
   * Ends the current message (closing an open fence in it) and starts the next, which re-opens the fence.
   * A message without content yet is not ended: its held whitespace is dropped instead.
   */
  private breakMessage(): void {
    if (this.hasContent && this.fence) this.emitRaw(this.closingFence(this.fence));
    this.hasContent = false;
    this.held = this.fence ? `${this.fence.openLine}\n` : '';
    this.msgLen = this.held.length;
    this.endsWithNewline = true;
  }
}
