/**
 * The message limits the fake Slack enforces, with Slack's own error names, so that a bot that passes
 * against the fake does not fail against the real workspace. Sources: /work/shared/reference/slack-platform.md §4.
 * Each check returns a `Rejection` (the `error` Slack would answer) or `undefined` when the input is fine.
 */

export const LIMITS = {
  /** `markdown_text` argument, and the whole of a streamed message. */
  markdownText: 12_000,
  /** `text` on chat.update and chat.postEphemeral (documented `msg_too_long`). */
  shortText: 4_000,
  /** `text` on chat.postMessage (Slack truncates above this; the fake refuses, to surface the bug). */
  postText: 40_000,
  blocksPerMessage: 50,
  sectionText: 3_000,
  sectionFieldText: 2_000,
  sectionFields: 10,
  headerText: 150,
  /** Cumulative text of all `markdown` blocks in one message. */
  markdownBlocksTotal: 12_000,
} as const;

export interface Rejection {
  error: string;
  /** Human-readable reason, sent back in `response_metadata.messages` like Slack does for invalid_blocks. */
  detail?: string;
}

/** What a stream call (start/append/stop) contributes to the message. */
export interface ChunkContent {
  markdown: string;
  blocks: unknown[];
  chunks: unknown[];
}

const KNOWN_BLOCK_TYPES = new Set([
  'actions',
  'context',
  'context_actions',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'table',
  'video',
]);

const TASK_STATUSES = new Set(['pending', 'in_progress', 'complete', 'error']);

type Obj = Record<string, unknown>;

const isObject = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Text of a composition text object (`{type:'mrkdwn'|'plain_text', text}`), or undefined. */
const textOf = (value: unknown): string | undefined =>
  isObject(value) && typeof value.text === 'string' ? value.text : undefined;

const invalidBlocks = (detail: string): Rejection => ({ error: 'invalid_blocks', detail });

/** Block Kit rules for one message: count, known types, section/header/markdown text sizes. */
export function checkBlocks(blocks: unknown): Rejection | undefined {
  if (!Array.isArray(blocks)) return invalidBlocks('blocks must be an array');
  if (blocks.length > LIMITS.blocksPerMessage) {
    return {
      error: 'msg_blocks_too_many',
      detail: `${blocks.length} blocks; at most ${LIMITS.blocksPerMessage}`,
    };
  }
  let markdownTotal = 0;
  for (const [i, block] of blocks.entries()) {
    if (!isObject(block) || typeof block.type !== 'string' || !KNOWN_BLOCK_TYPES.has(block.type)) {
      return invalidBlocks(`/${i}: missing or unknown block type`);
    }
    const problem = checkBlock(block);
    if (problem) return invalidBlocks(`/${i}: ${problem}`);
    if (block.type === 'markdown') markdownTotal += (block.text as string).length;
  }
  if (markdownTotal > LIMITS.markdownBlocksTotal) {
    return invalidBlocks(
      `markdown blocks total ${markdownTotal} chars; at most ${LIMITS.markdownBlocksTotal}`,
    );
  }
  return undefined;
}

function checkBlock(block: Obj): string | undefined {
  switch (block.type) {
    case 'section': {
      const text = textOf(block.text);
      const fields = Array.isArray(block.fields) ? block.fields : undefined;
      if (text === undefined && !fields) return 'section needs text or fields';
      if (text !== undefined && text.length > LIMITS.sectionText) {
        return `section text ${text.length} chars; at most ${LIMITS.sectionText}`;
      }
      if (fields && fields.length > LIMITS.sectionFields) return `more than ${LIMITS.sectionFields} fields`;
      if (fields?.some((f) => (textOf(f)?.length ?? 0) > LIMITS.sectionFieldText)) {
        return `a section field is over ${LIMITS.sectionFieldText} chars`;
      }
      return undefined;
    }
    case 'header': {
      const text = textOf(block.text);
      if (text === undefined) return 'header needs text';
      return text.length > LIMITS.headerText
        ? `header text ${text.length} chars; at most ${LIMITS.headerText}`
        : undefined;
    }
    case 'markdown':
      return typeof block.text === 'string' ? undefined : 'markdown block needs text';
    default:
      return undefined;
  }
}

const present = (value: unknown) => value !== undefined && value !== null;
const nonEmptyString = (value: unknown) => typeof value === 'string' && value.length > 0;
const nonEmptyArray = (value: unknown) => Array.isArray(value) && value.length > 0;

/**
 * Content rules shared by chat.postMessage, chat.update and chat.postEphemeral. `textLimit` differs per
 * method (40,000 for postMessage, 4,000 for the others).
 */
export function checkMessage(args: Obj, textLimit: number): Rejection | undefined {
  if (present(args.markdown_text) && (present(args.text) || present(args.blocks))) {
    return { error: 'markdown_text_conflict' };
  }
  const hasContent =
    nonEmptyString(args.text) ||
    nonEmptyString(args.markdown_text) ||
    nonEmptyArray(args.blocks) ||
    nonEmptyArray(args.attachments);
  if (!hasContent) return { error: 'no_text' };
  if (typeof args.text === 'string' && args.text.length > textLimit) {
    return { error: 'msg_too_long', detail: `text ${args.text.length} chars; at most ${textLimit}` };
  }
  const markdownProblem = checkMarkdownText(args.markdown_text);
  if (markdownProblem) return markdownProblem;
  return present(args.blocks) ? checkBlocks(args.blocks) : undefined;
}

/** The `markdown_text` argument: a string of at most 12,000 characters. */
export function checkMarkdownText(value: unknown): Rejection | undefined {
  if (!present(value)) return undefined;
  if (typeof value !== 'string')
    return { error: 'invalid_arguments', detail: 'markdown_text must be a string' };
  if (value.length > LIMITS.markdownText) {
    return {
      error: 'msg_too_long',
      detail: `markdown_text ${value.length} chars; at most ${LIMITS.markdownText}`,
    };
  }
  return undefined;
}

const invalidChunks = (detail: string): Rejection => ({ error: 'invalid_chunks', detail });

/**
 * Stream chunks as @slack/types defines them: markdown_text (visible text), task_update, plan_update and
 * blocks. Anything else, or a chunk missing its required fields, is `invalid_chunks`.
 */
export function readChunks(chunks: unknown): Rejection | ChunkContent {
  const content: ChunkContent = { markdown: '', blocks: [], chunks: [] };
  if (!present(chunks)) return content;
  if (!Array.isArray(chunks)) return invalidChunks('chunks must be an array');
  for (const [i, chunk] of chunks.entries()) {
    if (!isObject(chunk)) return invalidChunks(`/${i}: not an object`);
    switch (chunk.type) {
      case 'markdown_text':
        if (typeof chunk.text !== 'string') return invalidChunks(`/${i}: markdown_text chunk needs text`);
        content.markdown += chunk.text;
        break;
      case 'task_update':
        if (
          typeof chunk.id !== 'string' ||
          typeof chunk.title !== 'string' ||
          !TASK_STATUSES.has(String(chunk.status))
        ) {
          return invalidChunks(`/${i}: task_update needs id, title and a known status`);
        }
        for (const field of ['details', 'output'] as const) {
          if (chunk[field] !== undefined && typeof chunk[field] !== 'string')
            return invalidChunks(`/${i}: task_update ${field} must be a string`);
        }
        if (
          chunk.sources !== undefined &&
          !(
            Array.isArray(chunk.sources) &&
            chunk.sources.every(
              (source) => isObject(source) && source.type === 'url' && typeof source.url === 'string',
            )
          )
        ) {
          return invalidChunks(`/${i}: task_update sources must be url elements`);
        }
        break;
      case 'plan_update':
        if (typeof chunk.title !== 'string') return invalidChunks(`/${i}: plan_update needs title`);
        break;
      case 'blocks': {
        const problem = checkBlocks(chunk.blocks);
        if (problem) return invalidChunks(`/${i}: ${problem.detail ?? problem.error}`);
        content.blocks.push(...(chunk.blocks as unknown[]));
        break;
      }
      default:
        return invalidChunks(`/${i}: unknown chunk type ${JSON.stringify(chunk.type)}`);
    }
    content.chunks.push(chunk);
  }
  return content;
}

/** Task and plan chunks: what a Slack without agent progress (refuseProgressChunks) does not take. */
export const hasProgressChunks = (chunks: unknown): boolean =>
  Array.isArray(chunks) &&
  chunks.some((chunk) => isObject(chunk) && (chunk.type === 'task_update' || chunk.type === 'plan_update'));

export const isRejection = <T extends object>(value: Rejection | T | undefined): value is Rejection =>
  value !== undefined && 'error' in value;
