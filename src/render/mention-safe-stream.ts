import { scanMentions } from './sanitise.js';

/**
 * Why this file exists: the answer streams in arbitrary chunks, and a mention can be split across them
 * (`"<!ch"` + `"annel>"`, `"@ev"` + `"eryone"`), so neutralising each chunk on its own would let it through.
 * This holds back only the short tail that could still become a mention (an unclosed `<` in the last 200
 * characters, or `@` plus the start of channel/here/everyone) and releases everything else at once,
 * already neutralised. Joining every `push` result and the `flush` result always equals
 * `neutraliseMentions(all input)`, however the input was chunked.
 */
export class MentionSafeStream {
  private buffer = '';
  /** The last input character already released; decides the word boundary before a bare `@here`. */
  private before = '';

  /** Adds a chunk of untrusted text; returns the neutralised text that is safe to show now (maybe ''). */
  push(delta: string): string {
    if (delta === '') return '';
    this.buffer += delta;
    return this.release(false);
  }

  /** Returns everything still held back, neutralised. The stream can be reused afterwards. */
  flush(): string {
    const out = this.release(true);
    this.before = '';
    return out;
  }

  private release(final: boolean): string {
    const { out, consumed } = scanMentions(this.buffer, final, this.before);
    if (consumed > 0) {
      this.before = this.buffer[consumed - 1] ?? '';
      this.buffer = this.buffer.slice(consumed);
    }
    return out;
  }
}
