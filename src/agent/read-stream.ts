import type Anthropic from '@anthropic-ai/sdk';
import type { ContentBlockParam } from '@anthropic-ai/sdk/resources/messages/messages';
import type { AgentResult } from '../core/agent-port.js';
import type { Usage } from '../core/domain.js';
import { StalledStreamError } from './claude-errors.js';
import { toParams } from './tool-rounds.js';

type ClaudeStream = ReturnType<Anthropic['messages']['stream']>;

export interface RoundResult extends AgentResult {
  /** The assistant's content blocks, as they must be sent back before the tool results. */
  content: ContentBlockParam[];
}

/**
 * Hands the stream's text to `onText` as it comes. Silence longer than `idleMs` aborts the stream
 * (StalledStreamError); an aborted `signal` stops reading.
 */
export async function readWithWatchdog(
  stream: ClaudeStream,
  onText: (delta: string) => void,
  signal: AbortSignal | undefined,
  idleMs: number,
): Promise<void> {
  let stalled = false;
  let idle = setTimeout(() => {}, 0);
  const watch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      stalled = true;
      stream.abort();
    }, idleMs);
  };
  watch();
  try {
    for await (const event of stream) {
      watch();
      if (signal?.aborted) break;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') onText(event.delta.text);
    }
  } catch (error) {
    if (stalled) throw new StalledStreamError(idleMs, { cause: error });
    throw error;
  } finally {
    clearTimeout(idle);
  }
}

/** One model round as the agent keeps it. */
export function roundResult(message: Anthropic.Messages.Message): RoundResult {
  // Answers may open with thinking blocks: pick text blocks by type, never by position.
  const text = message.content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
  return {
    text,
    content: toParams(message.content),
    stopReason: message.stop_reason,
    usage: toUsage(message.usage),
    model: message.model,
  };
}

function toUsage(usage: Anthropic.Messages.Usage): Usage {
  return {
    inputTokens: usage.input_tokens ?? 0,
    outputTokens: usage.output_tokens ?? 0,
    cacheReadTokens: usage.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
  };
}
