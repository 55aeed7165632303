import { performance } from 'node:perf_hooks';
import { raceClose, sleep } from './http.js';
import type { Exchange } from './plan.js';

/**
 * Writes one Messages response as server-sent events: each `send` is one event, content deltas are
 * paced as the reply asks (`firstTokenDelayMs`, `tokensPerSecond`), and every method answers false once
 * the client has gone, so the stream stops there.
 */
export class SseWriter {
  private alive = true;
  // Pacing: an absolute schedule from the first content delta, so timer drift does not accumulate.
  private paceStart = 0;
  private pacedTokens = 0;
  private firstDeltaPending = true;
  private pinged = false;

  constructor(private readonly exchange: Exchange) {
    const { res, requestId, recorded, gone } = exchange;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'request-id': requestId,
    });
    res.flushHeaders();
    void gone.then(() => {
      this.alive = false;
      if (!res.writableEnded) recorded.closedByClient = true;
    });
  }

  async send(event: string, data: unknown): Promise<boolean> {
    const { res, gone } = this.exchange;
    if (!this.alive || res.destroyed || res.writableEnded) return false;
    const ok = res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (!ok) await raceClose(new Promise<void>((resolve) => res.once('drain', () => resolve())), gone);
    return this.alive && !res.destroyed;
  }

  /** A content_block_delta; the first one waits `firstTokenDelayMs` and marks `firstByteAt`. */
  async delta(index: number, payload: unknown, chars: number): Promise<boolean> {
    const { plan, recorded, gone } = this.exchange;
    if (this.firstDeltaPending) {
      this.firstDeltaPending = false;
      const delay = plan.reply.firstTokenDelayMs;
      if (delay && !(await raceClose(sleep(delay), gone))) return false;
      recorded.firstByteAt = performance.now();
      this.paceStart = recorded.firstByteAt;
    }
    if (!(await this.send('content_block_delta', { type: 'content_block_delta', index, delta: payload })))
      return false;
    return this.pace(chars);
  }

  /** One `ping` event per response: after the first content_block_start, or before message_delta. */
  async ping(): Promise<boolean> {
    if (this.pinged) return true;
    this.pinged = true;
    return this.send('ping', { type: 'ping' });
  }

  private async pace(chars: number): Promise<boolean> {
    const { res, plan, gone } = this.exchange;
    const { tokensPerSecond } = plan.reply;
    if (tokensPerSecond && tokensPerSecond > 0) {
      this.pacedTokens += chars / 4;
      const due = this.paceStart + (this.pacedTokens / tokensPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) return raceClose(sleep(wait), gone);
    }
    // Give the event loop a turn so every delta is its own write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return this.alive && !res.destroyed;
  }
}
