import { createHash } from 'node:crypto';

/**
 * Token estimate and prompt-cache simulation for the fake Anthropic API (see server.ts).
 *
 * Token estimate: a "token" is about 4 characters, and every cacheable block is estimated on its own
 * (`ceil(chars / 4)`), so the tokens of a prompt prefix are the sum over its blocks and
 * `input_tokens + cache_creation_input_tokens + cache_read_input_tokens` always equals the total.
 *  - a tool counts its JSON (without `cache_control`);
 *  - a `text` block (system or message) counts its text;
 *  - any other content block (tool_use, tool_result, thinking, image, …) counts its JSON (without
 *    `cache_control`).
 *
 * Cache: the prompt is the ordered list of cacheable blocks — each tool, each system text block, then
 * each content block of each message (a string `content` counts as one text block). Breakpoints are
 * the blocks carrying `cache_control`, plus the last block when the request has top-level
 * `cache_control` ("automatic caching"). A prefix is identified by a hash chained over the model and
 * the serialised blocks; `cache_control` itself is not part of the hash, so moving a breakpoint does
 * not change the prefix (which is what lets automatic caching follow a growing conversation).
 *
 *  - Read: like the real API, each breakpoint looks back up to 20 blocks for the longest prefix written
 *    by an earlier request; `cache_read_input_tokens` = tokens of the longest prefix that hits.
 *  - Write: every breakpoint prefix longer than the hit and at least `minCacheableTokens` long is
 *    stored; `cache_creation_input_tokens` = tokens(longest such prefix) − cache_read, split into
 *    `ephemeral_5m` / `ephemeral_1h` by the `ttl` of the breakpoint that ends each written segment.
 *  - Entries never expire during a test (no 5 min / 1 h TTL, no LRU): `clear()` (via `reset()`) or a
 *    new fake empties the cache.
 *  - Only the blocks matter: `tool_choice`, `thinking` and other parameters do not invalidate entries
 *    here, although they may on the real API.
 */

/** How many blocks before a breakpoint the API checks for an earlier cache entry. */
export const CACHE_LOOKBACK_BLOCKS = 20;
/** The API accepts at most this many `cache_control` breakpoints per request. */
export const MAX_CACHE_BREAKPOINTS = 4;

export interface InputUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

export interface PromptBlock {
  /** Serialised block (section, role and the block without `cache_control`): what the cache hashes. */
  key: string;
  tokens: number;
  /** Set when the block is a cache breakpoint. */
  breakpoint?: { ttl: '5m' | '1h' };
}

export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

// biome-ignore lint/suspicious/noExplicitAny: request bodies are untyped JSON.
type Json = any;

function withoutCacheControl(value: Json): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const { cache_control: _ignored, ...rest } = value;
  return rest;
}

function ttlOf(cacheControl: Json): '5m' | '1h' {
  return cacheControl && typeof cacheControl === 'object' && cacheControl.ttl === '1h' ? '1h' : '5m';
}

function contentBlock(section: string, block: Json): PromptBlock {
  const bare = withoutCacheControl(block);
  const serialised = JSON.stringify(bare) ?? '';
  const isText = bare && typeof bare === 'object' && bare.type === 'text' && typeof bare.text === 'string';
  const result: PromptBlock = {
    key: `${section}:${serialised}`,
    tokens: estimateTokens(isText ? bare.text.length : serialised.length),
  };
  if (block && typeof block === 'object' && block.cache_control) {
    result.breakpoint = { ttl: ttlOf(block.cache_control) };
  }
  return result;
}

/** The request's cacheable blocks in prefix order: tools → system → messages. */
export function promptBlocks(body: Json): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  if (Array.isArray(body?.tools)) {
    for (const tool of body.tools) {
      const serialised = JSON.stringify(withoutCacheControl(tool)) ?? '';
      const block: PromptBlock = { key: `tool:${serialised}`, tokens: estimateTokens(serialised.length) };
      if (tool?.cache_control) block.breakpoint = { ttl: ttlOf(tool.cache_control) };
      blocks.push(block);
    }
  }
  if (typeof body?.system === 'string') {
    blocks.push(contentBlock('system', { type: 'text', text: body.system }));
  } else if (Array.isArray(body?.system)) {
    for (const block of body.system) blocks.push(contentBlock('system', block));
  }
  if (Array.isArray(body?.messages)) {
    for (const message of body.messages) {
      const role = String(message?.role);
      if (typeof message?.content === 'string') {
        blocks.push(contentBlock(role, { type: 'text', text: message.content }));
      } else if (Array.isArray(message?.content)) {
        for (const block of message.content) blocks.push(contentBlock(role, block));
      }
    }
  }
  const last = blocks.at(-1);
  if (body?.cache_control && last && !last.breakpoint) last.breakpoint = { ttl: ttlOf(body.cache_control) };
  return blocks;
}

/** Number of `cache_control` breakpoints the request asks for (explicit markers plus automatic caching). */
export function countBreakpoints(body: Json): number {
  return promptBlocks(body).filter((b) => b.breakpoint).length;
}

/** Same estimate as the input side of a Messages request: the sum of the block estimates. */
export function countInputTokens(body: Json): number {
  return promptBlocks(body).reduce((sum, block) => sum + block.tokens, 0);
}

export class PromptCache {
  private readonly entries = new Set<string>();

  constructor(readonly minCacheableTokens: number) {}

  /** Computes the input side of `usage` for a request, writing its new cache entries. */
  use(body: Json): InputUsage {
    const blocks = promptBlocks(body);
    const prefixTokens: number[] = [];
    const hashes: string[] = [];
    let chain = createHash('sha256')
      .update(`model:${String(body?.model)}`)
      .digest('hex');
    let total = 0;
    for (const block of blocks) {
      total += block.tokens;
      prefixTokens.push(total);
      chain = createHash('sha256').update(chain).update('\u0000').update(block.key).digest('hex');
      hashes.push(chain);
    }
    const breakpoints = blocks.flatMap((block, i) => (block.breakpoint ? [i] : []));

    let readIndex = -1;
    for (const bp of breakpoints) {
      for (let j = bp; j >= 0 && j > bp - CACHE_LOOKBACK_BLOCKS; j--) {
        if (this.entries.has(hashes[j] as string)) {
          if (j > readIndex) readIndex = j;
          break;
        }
      }
    }
    const read = readIndex >= 0 ? (prefixTokens[readIndex] as number) : 0;

    const written = breakpoints.filter(
      (bp) => bp > readIndex && (prefixTokens[bp] as number) >= this.minCacheableTokens,
    );
    const creation = { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
    let boundary = read;
    for (const bp of written) {
      const end = prefixTokens[bp] as number;
      const segment = Math.max(0, end - boundary);
      if (blocks[bp]?.breakpoint?.ttl === '1h') creation.ephemeral_1h_input_tokens += segment;
      else creation.ephemeral_5m_input_tokens += segment;
      boundary = Math.max(boundary, end);
      this.entries.add(hashes[bp] as string);
    }
    const creationTokens = creation.ephemeral_5m_input_tokens + creation.ephemeral_1h_input_tokens;
    return {
      input_tokens: total - read - creationTokens,
      cache_creation_input_tokens: creationTokens,
      cache_read_input_tokens: read,
      cache_creation: creation,
    };
  }

  clear(): void {
    this.entries.clear();
  }
}
