import { countBreakpoints, MAX_CACHE_BREAKPOINTS } from './cache.js';

/** Request validation with the API's own error messages (400 invalid_request_error). */

const REMOVED_SAMPLING_PARAMS = ['temperature', 'top_p', 'top_k'];
const ROLES = new Set(['user', 'assistant', 'system']);

// biome-ignore lint/suspicious/noExplicitAny: untyped JSON.
export function validate(body: any, isCount: boolean): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return 'Request body must be a JSON object';
  for (const param of REMOVED_SAMPLING_PARAMS) {
    if (param in body) return `${param}: Extra inputs are not permitted`;
  }
  if (!('model' in body)) return 'model: Field required';
  if (typeof body.model !== 'string' || body.model.length === 0)
    return 'model: Input should be a valid string';
  if (!isCount) {
    if (!('max_tokens' in body)) return 'max_tokens: Field required';
    if (!Number.isInteger(body.max_tokens)) return 'max_tokens: Input should be a valid integer';
    if (body.max_tokens < 1) return 'max_tokens: Input should be greater than or equal to 1';
    if ('stream' in body && typeof body.stream !== 'boolean')
      return 'stream: Input should be a valid boolean';
  }
  if (!('messages' in body)) return 'messages: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Input should be a valid list';
  if (body.messages.length === 0) return 'messages: at least one message is required';
  for (const [i, message] of body.messages.entries()) {
    if (message === null || typeof message !== 'object')
      return `messages.${i}: Input should be a valid dictionary`;
    if (!ROLES.has(message.role))
      return `messages.${i}.role: Input should be 'user', 'assistant' or 'system'`;
    if (typeof message.content !== 'string' && !Array.isArray(message.content))
      return `messages.${i}.content: Input should be a valid string or list`;
  }
  const unanswered = unansweredToolUse(body.messages);
  if (unanswered) return unanswered;
  if ('system' in body && typeof body.system !== 'string' && !Array.isArray(body.system))
    return 'system: Input should be a valid string or list';
  if ('tools' in body && !Array.isArray(body.tools)) return 'tools: Input should be a valid list';
  const breakpoints = countBreakpoints(body);
  if (breakpoints > MAX_CACHE_BREAKPOINTS)
    return `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`;
  return undefined;
}

/**
 * The API's rule for tool use: every tool_use block of an assistant message must be answered by a
 * tool_result block, with its id, in the user message right after it.
 */
type JsonBlock = { type?: unknown; id?: unknown; tool_use_id?: unknown };
function blocksOf(message: { content?: unknown } | undefined): JsonBlock[] {
  return Array.isArray(message?.content) ? (message.content as JsonBlock[]) : [];
}
function unansweredToolUse(messages: { role?: unknown; content?: unknown }[]): string | undefined {
  for (const [i, message] of messages.entries()) {
    if (message.role !== 'assistant') continue;
    const ids = blocksOf(message)
      .filter((b) => b?.type === 'tool_use')
      .map((b) => String(b.id));
    if (ids.length === 0) continue;
    const next = messages[i + 1];
    const answered = new Set(
      blocksOf(next)
        .filter((b) => b?.type === 'tool_result')
        .map((b) => String(b.tool_use_id)),
    );
    const missing = ids.filter((id) => !answered.has(id));
    if (next?.role !== 'user' || missing.length > 0) {
      return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return undefined;
}
