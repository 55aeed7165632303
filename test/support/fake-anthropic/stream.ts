import { performance } from 'node:perf_hooks';
import { estimateTokens } from './cache.js';
import { defaultErrorMessage } from './http.js';
import { type Exchange, signatureFor } from './plan.js';
import { SseWriter } from './sse-writer.js';
import type { Block } from './types.js';

/** Answers a `stream: true` request: the real event sequence, with scripted stalls and mid-stream errors. */

/** Sizes (in tokens of ~4 characters) of successive deltas: small and varied, like the real stream. */
const DELTA_TOKENS = [1, 2, 3, 2];
const DELTA_CHARS = DELTA_TOKENS.map((t) => t * 4);
const JSON_FRAGMENT_CHARS = [7, 5, 9, 6];

/** Splits `text` into pieces of the given sizes (cycled), never inside a surrogate pair. */
function chunks(text: string, sizes: number[]): string[] {
  const out: string[] = [];
  let i = 0;
  let n = 0;
  while (i < text.length) {
    const piece = sliceCodePoints(text.slice(i), sizes[n % sizes.length] ?? 4);
    out.push(piece);
    i += piece.length;
    n++;
  }
  return out;
}

/** The first `length` UTF-16 units of `text`, one more if that would split a surrogate pair. */
function sliceCodePoints(text: string, length: number): string {
  if (length <= 0) return '';
  let end = Math.min(length, text.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff && end < text.length) end++;
  return text.slice(0, end);
}

function blockStart(block: Block & { id?: string }): unknown {
  if (block.type === 'text') return { type: 'text', text: '' };
  if (block.type === 'thinking') return { type: 'thinking', thinking: '', signature: '' };
  return { type: 'tool_use', id: block.id, name: block.name, input: {}, caller: { type: 'direct' } };
}

class MessageStream {
  private readonly out: SseWriter;
  private textSent = 0;
  private outputChars = 0;
  private readonly errorAt: number | undefined;

  constructor(private readonly exchange: Exchange) {
    this.out = new SseWriter(exchange);
    this.errorAt = exchange.plan.reply.midStreamError?.afterChars;
  }

  async run(): Promise<void> {
    const { plan, recorded, res } = this.exchange;
    if (!(await this.messageStart())) return;
    for (const [index, block] of plan.blocks.entries()) {
      const start = { type: 'content_block_start', index, content_block: blockStart(block) };
      if (!(await this.out.send('content_block_start', start))) return;
      if (!(await this.out.ping())) return;
      if (!(await this.content(index, block))) return;
      if (!(await this.out.send('content_block_stop', { type: 'content_block_stop', index }))) return;
    }
    if (!(await this.out.ping())) return;
    if (this.errorAt !== undefined) {
      await this.fail();
      return;
    }
    recorded.usage = plan.usage();
    const { service_tier: _tier, cache_creation: _creation, ...deltaUsage } = recorded.usage;
    const delta = { stop_reason: plan.stopReason, stop_sequence: null, stop_details: plan.stopDetails() };
    if (!(await this.out.send('message_delta', { type: 'message_delta', delta, usage: deltaUsage }))) return;
    if (!(await this.out.send('message_stop', { type: 'message_stop' }))) return;
    recorded.completed = true;
    recorded.lastByteAt = performance.now();
    res.end();
  }

  private messageStart(): Promise<boolean> {
    const { plan } = this.exchange;
    const usage = { ...plan.usage(1) };
    delete usage.output_tokens_details;
    return this.out.send('message_start', {
      type: 'message_start',
      message: {
        id: plan.id,
        type: 'message',
        role: 'assistant',
        model: plan.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        container: null,
        usage,
      },
    });
  }

  /** The deltas of one content block; false when the response ended (client gone, stall or error). */
  private content(index: number, block: Block & { id?: string }): Promise<boolean> {
    if (block.type === 'text') return this.text(index, block.text);
    if (block.type === 'thinking') return this.thinking(index, block.thinking);
    return this.toolInput(index, block.input);
  }

  private async text(index: number, text: string): Promise<boolean> {
    const { reply } = this.exchange.plan;
    for (const piece of chunks(text, DELTA_CHARS)) {
      if (reply.stallAfterChars !== undefined && this.textSent >= reply.stallAfterChars) {
        await this.exchange.gone;
        return false;
      }
      if (this.errorAt !== undefined && this.textSent + piece.length >= this.errorAt) {
        const last = sliceCodePoints(piece, this.errorAt - this.textSent);
        if (last.length > 0 && !(await this.textDelta(index, last))) return false;
        await this.fail();
        return false;
      }
      if (!(await this.textDelta(index, piece))) return false;
    }
    return true;
  }

  private textDelta(index: number, text: string): Promise<boolean> {
    this.textSent += text.length;
    this.outputChars += text.length;
    return this.out.delta(index, { type: 'text_delta', text }, text.length);
  }

  private async thinking(index: number, thinking: string): Promise<boolean> {
    for (const piece of chunks(thinking, DELTA_CHARS)) {
      this.outputChars += piece.length;
      if (!(await this.out.delta(index, { type: 'thinking_delta', thinking: piece }, piece.length)))
        return false;
    }
    const signature = signatureFor(thinking);
    return this.out.delta(index, { type: 'signature_delta', signature }, 0);
  }

  private async toolInput(index: number, input: unknown): Promise<boolean> {
    const json = JSON.stringify(input ?? {}) ?? '{}';
    for (const partial_json of ['', ...chunks(json, JSON_FRAGMENT_CHARS)]) {
      this.outputChars += partial_json.length;
      if (!(await this.out.delta(index, { type: 'input_json_delta', partial_json }, partial_json.length)))
        return false;
    }
    return true;
  }

  /** The scripted mid-stream error: an `error` event, then the response ends. */
  private async fail(): Promise<void> {
    const { plan, recorded, res } = this.exchange;
    const type = plan.reply.midStreamError?.type ?? 'overloaded_error';
    recorded.usage = plan.usage(Math.max(1, estimateTokens(this.outputChars)));
    await this.out.send('error', { type: 'error', error: { type, message: defaultErrorMessage(type) } });
    res.end();
  }
}

export function streamMessage(exchange: Exchange): Promise<void> {
  return new MessageStream(exchange).run();
}
