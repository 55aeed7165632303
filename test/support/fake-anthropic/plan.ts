import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { estimateTokens, type InputUsage } from './cache.js';
import { defaultErrorMessage, raceClose, randomId, sendError, sendJson, sleep } from './http.js';
import type { Block, MessageReply, RecordedRequest, Usage } from './types.js';

/** One Messages request answered with a `kind: 'message'` reply: what to send, and the JSON answer. */

/** Everything needed to answer one Messages request with a `kind: 'message'` reply. */
export class MessagePlan {
  readonly id = randomId('msg_');
  readonly model: string;
  readonly blocks: Array<Block & { id?: string }>;
  readonly stopReason: NonNullable<MessageReply['stopReason']>;
  readonly outputTokens: number;
  readonly thinkingTokens: number;

  constructor(
    readonly reply: MessageReply,
    model: string,
    readonly input: InputUsage,
  ) {
    this.model = model;
    this.blocks = reply.content.map((block) =>
      block.type === 'tool_use' ? { ...block, id: block.id ?? randomId('toolu_') } : block,
    );
    this.stopReason =
      reply.stopReason ?? (reply.content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
    this.thinkingTokens = this.blocks.reduce(
      (sum, b) => sum + (b.type === 'thinking' ? estimateTokens(b.thinking.length) : 0),
      0,
    );
    this.outputTokens = Math.max(
      1,
      this.blocks.reduce((sum, b) => sum + estimateTokens(blockOutputChars(b)), 0),
    );
  }

  usage(outputTokens = this.outputTokens): Usage {
    const usage: Usage = { ...this.input, output_tokens: outputTokens, service_tier: 'standard' };
    if (this.thinkingTokens > 0) usage.output_tokens_details = { thinking_tokens: this.thinkingTokens };
    return usage;
  }

  stopDetails(): unknown {
    return this.stopReason === 'refusal' ? { type: 'refusal', category: null, explanation: null } : null;
  }

  finalBlock(block: Block & { id?: string }): unknown {
    switch (block.type) {
      case 'text':
        return { type: 'text', text: block.text };
      case 'thinking':
        return { type: 'thinking', thinking: block.thinking, signature: signatureFor(block.thinking) };
      case 'tool_use':
        return {
          type: 'tool_use',
          id: block.id,
          name: block.name,
          input: block.input,
          caller: { type: 'direct' },
        };
    }
  }
}

function blockOutputChars(block: Block): number {
  switch (block.type) {
    case 'text':
      return block.text.length;
    case 'thinking':
      return block.thinking.length;
    case 'tool_use':
      return (JSON.stringify(block.input ?? {}) ?? '').length;
  }
}

export function signatureFor(thinking: string): string {
  return Buffer.from(`fake-signature:${thinking.length}:${randomBytes(12).toString('hex')}`).toString(
    'base64',
  );
}

/** One request being answered: its response, its plan and where the outcome is recorded. */
export interface Exchange {
  res: ServerResponse;
  requestId: string;
  plan: MessagePlan;
  recorded: RecordedRequest;
  /** Resolves when the response can no longer be written. */
  gone: Promise<void>;
}

/** Answers a non-streaming request with the whole message as JSON. */
export async function answerJson({ res, requestId, plan, recorded, gone }: Exchange): Promise<void> {
  const { reply } = plan;
  // The real API answers only once the whole message is generated.
  const generationMs =
    (reply.firstTokenDelayMs ?? 0) +
    (reply.tokensPerSecond ? (plan.outputTokens / reply.tokensPerSecond) * 1000 : 0);
  if (generationMs > 0 && !(await raceClose(sleep(generationMs), gone))) return;
  if (res.destroyed) return;
  if (reply.midStreamError) {
    const type = reply.midStreamError.type ?? 'overloaded_error';
    sendError(res, requestId, type === 'overloaded_error' ? 529 : 500, type, defaultErrorMessage(type));
    return;
  }
  recorded.usage = plan.usage();
  recorded.firstByteAt = performance.now();
  sendJson(res, requestId, 200, {
    id: plan.id,
    type: 'message',
    role: 'assistant',
    model: plan.model,
    content: plan.blocks.map((b) => plan.finalBlock(b)),
    stop_reason: plan.stopReason,
    stop_sequence: null,
    stop_details: plan.stopDetails(),
    container: null,
    usage: recorded.usage,
  });
}
