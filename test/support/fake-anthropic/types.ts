import type { InputUsage } from './cache.js';

/** The fake Anthropic API's public types: recorded requests and scripted replies. */

export interface Usage extends InputUsage {
  output_tokens: number;
  service_tier: 'standard';
  output_tokens_details?: { thinking_tokens: number };
}

export interface RecordedRequest {
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: the parsed JSON body as the client sent it.
  body: any;
  headers: Record<string, string | string[] | undefined>;
  /** `performance.now()` when the request arrived. */
  at: number;
  /** `performance.now()` when the first content delta was written (non-streaming: when the body was sent). */
  firstByteAt?: number;
  /** The usage reported for this request (Messages requests answered with a message only). */
  usage?: Usage;
  /** The `request-id` header sent back. */
  requestId: string;
  /** HTTP status of the response. */
  status?: number;
  /** A streamed response the client closed before its end (e.g. the SDK's AbortSignal). */
  closedByClient?: boolean;
  /** A streamed response sent to its end (message_stop). */
  completed?: boolean;
  /** `performance.now()` when message_stop was written (the answer's last token had gone out). */
  lastByteAt?: number;
}

export type Block =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string }
  | { type: 'tool_use'; name: string; input: unknown; id?: string };

export interface MessageReply {
  kind: 'message';
  content: Block[];
  /** Default: `tool_use` when the content has a tool_use block, otherwise `end_turn`. */
  stopReason?: 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';
  /** Wait this long (after `gate`) before answering at all. */
  delayMs?: number;
  /** Streaming: wait this long after message_start before the first content delta. */
  firstTokenDelayMs?: number;
  /** Pace the content deltas (a token ≈ 4 characters). Default: as fast as possible, one write per delta. */
  tokensPerSecond?: number;
  /** Wait for this promise before sending anything, headers included. */
  gate?: Promise<void>;
  /**
   * Streaming: after `afterChars` characters of text, send `event: error` and end the response (if the
   * text is shorter, the error comes after the last content block). Non-streaming: an HTTP error
   * (529 for `overloaded_error`, otherwise 500) with that error type.
   */
  midStreamError?: { afterChars: number; type?: string };
  /** Streaming: after this many characters of text, send nothing more (a stalled stream) until the client leaves. */
  stallAfterChars?: number;
}

export interface ErrorReply {
  kind: 'error';
  status: number;
  type: string;
  message?: string;
  /** `retry-after` header, in seconds. */
  retryAfter?: number;
  /** `retry-after-ms` header. */
  retryAfterMs?: number;
}

export type Reply = MessageReply | ErrorReply;

export interface FakeAnthropic {
  /** `http://127.0.0.1:PORT`, without `/v1`: the SDK appends `/v1/messages`. */
  url: string;
  /** Every `POST /v1/messages` and `POST /v1/messages/count_tokens`, in arrival order. */
  requests: RecordedRequest[];
  /** Queues replies, used in order, one per Messages request; when empty, the default reply is used. */
  script(...replies: Reply[]): void;
  /** Default: `textReply(dataEngineeringAnswer())`. */
  setDefault(reply: Reply | ((req: RecordedRequest) => Reply)): void;
  /** Clears the recorded requests, the script queue and the prompt cache, and restores the default reply. */
  reset(): void;
  close(): Promise<void>;
}
