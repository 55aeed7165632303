import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlock,
  ContentBlockParam,
  MessageParam,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages/messages';
import { estimateTokens } from '../core/context-budget.js';
import { AgentError } from '../core/errors.js';
import { addUsage, NO_USAGE, type Turn, type Usage } from '../core/model.js';
import type { AgentCallbacks, AgentPort, AgentResult, Logger } from '../core/ports.js';
import { SYSTEM_PROMPT } from './prompt.js';
import {
  ASK_CLARIFYING_QUESTIONS,
  clarifyingQuestionsInput,
  collaborationInput,
  REQUEST_COLLABORATION,
  TOOLS,
} from './tools.js';

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

  /**
   * Streams an answer. When the agent calls request_collaboration, the bot records it (through
   * `callbacks`), sends the tool result back and the model continues the same answer: text from all
   * rounds flows into one reply.
   */
  async answer(conversation: Turn[], callbacks: AgentCallbacks): Promise<AgentResult> {
    const messages = toMessages(conversation);
    let written = '';
    let usage = NO_USAGE;
    for (let round = 1; ; round++) {
      const reply = await this.streamWithRetries(messages, callbacks, written);
      written += reply.text;
      usage = addUsage(usage, reply.usage);
      const more =
        reply.stopReason === 'tool_use' &&
        reply.collaborationCalls.length > 0 &&
        !reply.questions &&
        callbacks.onCollaborationRequest !== undefined &&
        round < MAX_TOOL_ROUNDS;
      if (!more) {
        const { collaborationCalls: _calls, content: _content, ...result } = reply;
        return { ...result, text: written, usage };
      }
      messages.push({ role: 'assistant', content: reply.content });
      messages.push({ role: 'user', content: await toolResults(reply.content, callbacks) });
    }
  }

  /**
   * One model round, retried as a whole when it fails in a way worth retrying. Text of earlier rounds
   * (`before`) is already in the thread: after a restart it is written again before the new attempt.
   */
  private async streamWithRetries(
    messages: MessageParam[],
    callbacks: AgentCallbacks,
    before: string,
  ): Promise<RoundResult> {
    const attempts = 1 + (this.options.streamRetries ?? 3);
    const separator = before !== '' && !before.endsWith('\n') ? '\n\n' : '';
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let text = '';
      const emit = (delta: string) => {
        if (text === '' && separator) {
          text = separator;
          callbacks.onText(separator);
        }
        text += delta;
        callbacks.onText(delta);
      };
      try {
        return { ...(await this.streamOnce(messages, emit)), text };
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
        if (text !== '') {
          await callbacks.onRestart(errorType(error) ?? 'stream interrupted');
          if (before) callbacks.onText(before);
        }
        await sleep(backoffMs(attempt, this.options.retryBaseDelayMs ?? 1000));
      }
    }
    throw toAgentError(lastError);
  }

  private async streamOnce(messages: MessageParam[], onText: (delta: string) => void): Promise<RoundResult> {
    const stream = this.client.messages.stream({
      model: this.model,
      max_tokens: this.options.maxTokens,
      // The system prompt never changes, so its cache entry is shared by every thread and workspace.
      system: [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
      messages,
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
      content: toParams(message.content),
      collaborationCalls: message.content.filter(
        (block) => block.type === 'tool_use' && block.name === REQUEST_COLLABORATION,
      ),
      stopReason: message.stop_reason,
      usage: toUsage(message.usage),
      model: message.model,
      ...(questions.length > 0 ? { questions } : {}),
    };
  }
}

/** Tool rounds per answer: enough for one request per role and a little slack, never a loop. */
const MAX_TOOL_ROUNDS = 6;

interface RoundResult extends AgentResult {
  /** The assistant's content blocks, as they must be sent back before the tool results. */
  content: ContentBlockParam[];
  collaborationCalls: ContentBlock[];
}

/** One tool_result per tool_use block of the round, as the API requires. */
async function toolResults(
  content: ContentBlockParam[],
  callbacks: AgentCallbacks,
): Promise<ToolResultBlockParam[]> {
  const results: ToolResultBlockParam[] = [];
  for (const block of content) {
    if (block.type !== 'tool_use') continue;
    const reply = (text: string, isError = false): ToolResultBlockParam => ({
      type: 'tool_result',
      tool_use_id: block.id,
      content: text,
      ...(isError ? { is_error: true } : {}),
    });
    if (block.name !== REQUEST_COLLABORATION || !callbacks.onCollaborationRequest) {
      results.push(reply(`Unknown tool ${block.name}.`, true));
      continue;
    }
    const input = collaborationInput.safeParse(block.input);
    if (!input.success) {
      const problems = input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      results.push(
        reply(`Not recorded: ${problems}. Fix the input and call again, or continue without it.`, true),
      );
      continue;
    }
    results.push(reply(await callbacks.onCollaborationRequest(input.data)));
  }
  return results;
}

/** The response's blocks in the shape a request accepts (thinking blocks keep their signatures). */
function toParams(content: ContentBlock[]): ContentBlockParam[] {
  return content.flatMap((block): ContentBlockParam[] => {
    switch (block.type) {
      case 'text':
        return [{ type: 'text', text: block.text }];
      case 'tool_use':
        return [{ type: 'tool_use', id: block.id, name: block.name, input: block.input }];
      case 'thinking':
        return [{ type: 'thinking', thinking: block.thinking, signature: block.signature }];
      case 'redacted_thinking':
        return [{ type: 'redacted_thinking', data: block.data }];
      default:
        return [];
    }
  });
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
