import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam } from '@anthropic-ai/sdk/resources/messages/messages';
import { estimateTokens } from '../core/context-budget.js';
import { AgentError } from '../core/errors.js';
import type { Turn, Usage } from '../core/model.js';
import type { AgentCallbacks, AgentPort, AgentResult, Logger } from '../core/ports.js';
import { SYSTEM_PROMPT } from './prompt.js';
import { ASK_CLARIFYING_QUESTIONS, clarifyingQuestionsInput, TOOLS } from './tools.js';

export interface ClaudeAgentOptions {
  apiKey: string;
  baseUrl: string | undefined;
  model: string;
  maxTokens: number;
  /** Retries the SDK itself makes for 429/5xx/connection errors before a request fails. */
  sdkMaxRetries?: number;
  /** Extra whole-stream attempts for failures the SDK does not retry (a mid-stream `overloaded_error`). */
  streamRetries?: number;
  /** First backoff between our own attempts; doubled each time, capped at 30 s, with jitter. */
  retryBaseDelayMs?: number;
  logger: Logger;
}

/** Answers a conversation with Claude, streaming text deltas as they arrive. */
export class ClaudeAgent implements AgentPort {
  readonly model: string;
  readonly fixedPromptTokens = estimateTokens(SYSTEM_PROMPT + JSON.stringify(TOOLS));
  private readonly client: Anthropic;

  constructor(private readonly options: ClaudeAgentOptions) {
    this.model = options.model;
    this.client = new Anthropic({
      apiKey: options.apiKey,
      // Unset: the SDK's own default endpoint.
      ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
      maxRetries: options.sdkMaxRetries ?? 2,
      logLevel: 'off',
    });
  }

  async answer(conversation: Turn[], callbacks: AgentCallbacks): Promise<AgentResult> {
    const attempts = 1 + (this.options.streamRetries ?? 3);
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let wroteText = false;
      try {
        return await this.streamOnce(conversation, (delta) => {
          wroteText = true;
          callbacks.onText(delta);
        });
      } catch (error) {
        lastError = error;
        const retryable = isRetryable(error);
        this.options.logger.warn('claude request failed', {
          attempt,
          retryable,
          errorType: errorType(error),
          requestId: error instanceof Anthropic.APIError ? error.requestID : undefined,
        });
        if (!retryable || attempt === attempts) break;
        if (wroteText) await callbacks.onRestart(errorType(error) ?? 'stream interrupted');
        await sleep(backoffMs(attempt, this.options.retryBaseDelayMs ?? 1000));
      }
    }
    throw toAgentError(lastError);
  }

  private async streamOnce(conversation: Turn[], onText: (delta: string) => void): Promise<AgentResult> {
    const stream = this.client.messages.stream({
      model: this.model,
      max_tokens: this.options.maxTokens,
      // The system prompt never changes, so its cache entry is shared by every thread and workspace.
      system: [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
      messages: toMessages(conversation),
      tools: TOOLS,
      // Automatic caching: the breakpoint follows the end of the conversation, so a follow-up reads
      // the earlier turns from the cache.
      cache_control: { type: 'ephemeral' },
    });
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') onText(event.delta.text);
    }
    const message = await stream.finalMessage();
    // Answers may open with thinking blocks: pick text blocks by type, never by position.
    const text = message.content
      .filter((block) => block.type === 'text')
      .map((block) => block.text)
      .join('');
    const questions = message.content.flatMap((block) => {
      if (block.type !== 'tool_use' || block.name !== ASK_CLARIFYING_QUESTIONS) return [];
      const input = clarifyingQuestionsInput.safeParse(block.input);
      return input.success ? input.data.questions : [];
    });
    return {
      text,
      stopReason: message.stop_reason,
      usage: toUsage(message.usage),
      model: message.model,
      ...(questions.length > 0 ? { questions } : {}),
    };
  }
}

/**
 * Replies that arrived while the bot was answering are stored as consecutive user turns; they are
 * sent as one user message, in order, so the conversation alternates as the API expects.
 */
export function toMessages(conversation: Turn[]): MessageParam[] {
  const messages: MessageParam[] = [];
  for (const turn of conversation) {
    const last = messages.at(-1);
    if (last && last.role === turn.role && typeof last.content === 'string') {
      last.content = `${last.content}\n\n${turn.content}`;
    } else {
      messages.push({ role: turn.role, content: turn.content });
    }
  }
  return messages;
}

function toUsage(usage: Anthropic.Messages.Usage): Usage {
  return {
    inputTokens: usage.input_tokens ?? 0,
    outputTokens: usage.output_tokens ?? 0,
    cacheReadTokens: usage.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
  };
}

function errorType(error: unknown): string | undefined {
  if (error instanceof Anthropic.APIError)
    return error.type ?? (error.status ? `http_${error.status}` : undefined);
  return error instanceof Error ? error.name : undefined;
}

/**
 * The SDK already retried 429/5xx/connection failures before throwing; we retry once more at the
 * stream level for those, and for the mid-stream `overloaded_error` event it never retries.
 */
function isRetryable(error: unknown): boolean {
  if (error instanceof Anthropic.APIUserAbortError) return false;
  if (error instanceof Anthropic.APIConnectionError) return true;
  if (error instanceof Anthropic.APIError) {
    if (error.status === undefined) return error.type === 'overloaded_error' || error.type === 'api_error';
    return error.status === 429 || error.status === 408 || error.status >= 500;
  }
  return false;
}

function toAgentError(error: unknown): AgentError {
  const retryLater = 'Please try again in a few minutes.';
  if (error instanceof Anthropic.APIError) {
    const type = error.type;
    if (type === 'overloaded_error' || error.status === 529)
      return new AgentError(
        'overloaded',
        `Claude is overloaded right now and I could not finish after several tries. ${retryLater}`,
        { cause: error },
      );
    if (error.status === 429 || type === 'rate_limit_error')
      return new AgentError(
        'rate_limited',
        `This workspace has hit its Claude API rate limit. ${retryLater}`,
        { cause: error },
      );
    if (error.status === 401 || error.status === 403)
      return new AgentError(
        'auth',
        'I could not reach Claude: the API key was rejected. An admin needs to check ANTHROPIC_API_KEY.',
        { cause: error },
      );
    if (error.status === 400 || error.status === 413)
      return new AgentError(
        'invalid_request',
        'Claude could not accept this request (it may be too long). Try a shorter or narrower task.',
        { cause: error },
      );
  }
  if (error instanceof Anthropic.APIConnectionTimeoutError || error instanceof Anthropic.APIConnectionError)
    return new AgentError('timeout', `I could not reach Claude (network trouble). ${retryLater}`, {
      cause: error,
    });
  return new AgentError('unknown', `Something went wrong while Claude was answering. ${retryLater}`, {
    cause: error,
  });
}

function backoffMs(attempt: number, baseMs: number): number {
  const capped = Math.min(30_000, baseMs * 2 ** (attempt - 1));
  return capped / 2 + Math.random() * (capped / 2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
