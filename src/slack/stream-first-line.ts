/**
 * The first-readable-line hold of a new streamed message: its first write waits until the first line
 * is complete (or long enough to read, or a wait ran out), so the reader never stares at `## D` for a
 * whole write interval. Kept apart from the stream's write/fallback state machine it times.
 */

/** A first write this long is readable even without its line's end (a long first sentence). */
export const FIRST_LINE_MAX_CHARS = 80;

/**
 * True when `text` may open a message: its first line is complete, or long enough to read. Opening
 * with the model's first few characters (`## D`) would make the reader wait a whole write interval
 * (1 s) for the heading, since the next write must keep the pace.
 */
export function firstLineReady(text: string): boolean {
  const start = text.length - text.trimStart().length;
  return text.indexOf('\n', start) >= 0 || text.length - start >= FIRST_LINE_MAX_CHARS;
}

/** Holds a new message's first write until its first line is readable, at most `waitMs`. */
export class FirstLineHold {
  private timer: NodeJS.Timeout | undefined;
  /** The hold no longer applies: the first line was ready, the wait ran out, or nothing is held at all. */
  private over: boolean;

  /** `holds` is false when rewriting a message posted before: its text is already on screen. */
  constructor(
    private readonly waitMs: number,
    holds: boolean,
  ) {
    this.over = !holds;
  }

  /**
   * Whether the first write must still wait for `text` (nothing `sent` yet). While it waits, a timer
   * ends the hold after `waitMs` and calls `onWaitOver` so whatever has arrived is written.
   */
  waiting(text: string, sent: number, onWaitOver: () => void): boolean {
    if (sent > 0 || this.over) return false;
    if (firstLineReady(text)) {
      this.over = true;
      this.cancel();
      return false;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.over = true;
      onWaitOver();
    }, this.waitMs);
    return true;
  }

  /** The first text of a new message waits for its first line, even once a step opened the message. */
  textHeld(text: string, sent: number): boolean {
    return sent === 0 && !this.over && !firstLineReady(text);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
