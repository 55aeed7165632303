import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, TextBlockParam, Tool } from '@anthropic-ai/sdk/resources/messages/messages';
import type { AgentCallbacks, AgentPort, AgentResult, AnswerSetup } from '../core/agent-port.js';
import { addUsage, NO_USAGE, type Turn } from '../core/domain.js';
import { throwIfAborted } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type Metrics, NO_METRICS } from '../core/metrics.js';
import { estimateTokens } from '../core/tasks/context-budget.js';
import { errorType, isRetryable, retryDelayMs, toAgentError } from './claude-errors.js';
import { meteredFetch, midStreamErrorStatus } from './metered-fetch.js';
import { SYSTEM_PROMPT } from './prompt.js';
import { type RoundResult, readWithWatchdog, roundResult } from './read-stream.js';
import { toolCalls, toolResultBlocks } from './tool-rounds.js';
import { anthropicToolsFor, TOOLS } from './tools.js';

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
  /** Our own retries stop once the next attempt would start after this long (ANTHROPIC_RETRY_DEADLINE_SECONDS). */
  retryDeadlineMs?: number;
  /** A stream with no event for this long is stalled: abort and retry it (ANTHROPIC_IDLE_TIMEOUT_SECONDS). */
  idleTimeoutMs?: number;
  logger: Logger;
  /** Latency, tokens, errors and retries per request, tool calls (default: not counted). */
  metrics?: Metrics;
}

/** Answers a conversation with Claude, streaming text deltas as they arrive. */
export class ClaudeAgent implements AgentPort {
  readonly model: string;
  readonly fixedPromptTokens = estimateTokens(SYSTEM_PROMPT + JSON.stringify(TOOLS));
  private readonly client: Anthropic;
  private readonly metrics: Metrics;

  constructor(private readonly options: ClaudeAgentOptions) {
    this.model = options.model;
    this.metrics = options.metrics ?? NO_METRICS;
    this.client = new Anthropic({
      apiKey: options.apiKey,
      // Unset: the SDK's own default endpoint.
      ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
      maxRetries: options.sdkMaxRetries ?? 2,
      logLevel: 'off',
      // Every HTTP attempt (the SDK's retries too) counted by status; only with metrics on.
      ...(options.metrics && options.metrics !== NO_METRICS
        ? { fetch: meteredFetch(options.model, options.metrics) }
        : {}),
    });
  }

  /**
   * Streams an answer. When the agent calls tools, the bot runs them (`callbacks.runTools`, the
   * registry in src/core/tool-registry.ts), sends the results back and the model continues the same
   * answer: text from all rounds flows into one reply. A turn-ending tool ends the answer there.
   */
  async answer(
    conversation: Turn[],
    callbacks: AgentCallbacks,
    setup: AnswerSetup = {},
  ): Promise<AgentResult> {
    const messages = toMessages(conversation);
    const request = { tools: anthropicToolsFor(setup.tools), system: systemBlocks(setup.instructions) };
    let written = '';
    let usage = NO_USAGE;
    for (let round = 1; ; round++) {
      const reply = await this.streamWithRetries(request, messages, callbacks, written);
      written += reply.text;
      usage = addUsage(usage, reply.usage);
      const { content, ...result } = reply;
      const calls = toolCalls(content);
      for (const call of calls) this.metrics.toolCalled(call.name);
      const mayContinue = reply.stopReason === 'tool_use' && round < MAX_TOOL_ROUNDS;
      const tools = calls.length > 0 ? await callbacks.runTools?.(calls, { mayContinue }) : undefined;
      if (!tools || 'endTurn' in tools) {
        return { ...result, text: written, usage, ...(tools ? { waitingText: tools.endTurn } : {}) };
      }
      messages.push({ role: 'assistant', content });
      messages.push({ role: 'user', content: toolResultBlocks(tools.results) });
    }
  }

  /**
   * One model round, retried as a whole when it fails in a way worth retrying. Text of earlier rounds
   * (`before`) is already in the thread: after a restart it is written again before the new attempt.
   */
  private async streamWithRetries(
    request: TaskRequest,
    messages: MessageParam[],
    callbacks: AgentCallbacks,
    before: string,
  ): Promise<RoundResult> {
    const attempts = 1 + (this.options.streamRetries ?? Number.POSITIVE_INFINITY);
    const deadline = Date.now() + (this.options.retryDeadlineMs ?? 10 * 60_000);
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
        throwIfAborted(callbacks.signal);
        return { ...(await this.streamOnce(request, messages, emit, callbacks.signal)), text };
      } catch (error) {
        // The job was aborted (lease lost, shutdown, Stop): no retry, no more text.
        throwIfAborted(callbacks.signal);
        lastError = error;
        const midStream = midStreamErrorStatus(error);
        if (midStream) this.metrics.modelError(this.model, midStream);
        const retryable = isRetryable(error);
        this.options.logger.warn('claude request failed', {
          attempt,
          retryable,
          errorType: errorType(error),
          requestId: error instanceof Anthropic.APIError ? error.requestID : undefined,
        });
        if (!retryable || attempt >= attempts) break;
        const delayMs = retryDelayMs(error, attempt, this.options.retryBaseDelayMs ?? 1000);
        if (Date.now() + delayMs > deadline) break;
        if (text !== '') {
          await callbacks.onRestart(errorType(error) ?? 'stream interrupted');
          if (before) callbacks.onText(before);
        }
        this.metrics.modelRetry(this.model, 'stream');
        callbacks.onRetry?.({ attempt, delayMs, reason: errorType(error) ?? 'error' });
        await sleep(delayMs, callbacks.signal);
      }
    }
    throw toAgentError(lastError);
  }

  private async streamOnce(
    request: TaskRequest,
    messages: MessageParam[],
    onText: (delta: string) => void,
    signal: AbortSignal | undefined,
  ): Promise<RoundResult> {
    const timer = this.requestTimer();
    try {
      const result = await this.streamRequest(request, messages, timer.onText(onText), signal);
      timer.done('ok');
      this.metrics.modelTokens(this.model, result.usage);
      return result;
    } catch (error) {
      // A request we ended (Stop, lease lost, shutdown) is not a failed one.
      if (!signal?.aborted) timer.done('error');
      throw error;
    }
  }

  /** Times one request: to its first text token, and to its end. */
  private requestTimer() {
    const startedAt = performance.now();
    const seconds = () => (performance.now() - startedAt) / 1000;
    let first = true;
    return {
      onText: (onText: (delta: string) => void) => (delta: string) => {
        if (first) {
          first = false;
          this.metrics.modelFirstToken(this.model, seconds());
        }
        onText(delta);
      },
      done: (outcome: 'ok' | 'error') => this.metrics.modelRequest(this.model, outcome, seconds()),
    };
  }

  private async streamRequest(
    request: TaskRequest,
    messages: MessageParam[],
    onText: (delta: string) => void,
    signal: AbortSignal | undefined,
  ): Promise<RoundResult> {
    // The job's signal closes the request's connection: an aborted answer costs no more tokens.
    const stream = this.client.messages.stream(
      {
        model: this.model,
        max_tokens: this.options.maxTokens,
        // The system prompt never changes, so its cache entry is shared by every thread and workspace;
        // a channel's own text (its data source, its team context) comes after it, uncached.
        system: request.system,
        messages,
        tools: [...request.tools],
        // Automatic caching: the breakpoint follows the end of the conversation, so a follow-up reads
        // the earlier turns from the cache.
        cache_control: { type: 'ephemeral' },
      },
      signal ? { signal } : {},
    );
    // No cap on how long an answer may take while it flows; only silence aborts it.
    await readWithWatchdog(stream, onText, signal, this.options.idleTimeoutMs ?? 90_000);
    throwIfAborted(signal);
    return roundResult(await stream.finalMessage());
  }
}

/** What one task sends besides its messages: the tools it is offered and the system blocks. */
interface TaskRequest {
  tools: readonly Tool[];
  system: TextBlockParam[];
}

/**
 * The fixed prompt with `cache_control` (byte-identical for every task), then the task's own
 * instructions as a separate block without it: the cached prefix is the same with or without them.
 */
export function systemBlocks(instructions: string | undefined): TextBlockParam[] {
  return [
    { type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } },
    ...(instructions ? [{ type: 'text' as const, text: instructions }] : []),
  ];
}

/** Tool rounds per answer: room for a few sandbox runs (create, load, transform, check, fix) and the requests per role, never a loop. */
const MAX_TOOL_ROUNDS = 12;

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

/** Waits `ms`, or less when the signal aborts (the caller then sees the abort). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
