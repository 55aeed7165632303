import { performance } from 'node:perf_hooks';
import { checkBlocks } from '../limits.js';
import type { Method } from '../state.js';
import { fail, ok } from '../wire.js';

/** views.publish (the Home tab) and assistant.threads.setStatus. */

/** views.publish: a Home tab of at most 100 valid blocks for a known user. */
const publishView: Method = (state, args) => {
  if (typeof args.user_id !== 'string' || !state.users.has(args.user_id)) return fail('user_not_found');
  const view = args.view as { type?: unknown; blocks?: unknown } | undefined;
  if (!view || typeof view !== 'object' || view.type !== 'home') {
    return fail({ error: 'invalid_arguments', detail: 'view.type must be home' });
  }
  if (!Array.isArray(view.blocks) || view.blocks.length > 100) {
    return fail({ error: 'invalid_arguments', detail: 'view.blocks: at most 100 blocks' });
  }
  const problem = checkBlocks(view.blocks);
  if (problem) return fail(problem);
  state.homeViews.set(args.user_id, { type: 'home', blocks: view.blocks });
  return ok({ view: { id: `V${args.user_id}`, type: 'home' } });
};

const setStatus: Method = (state, args) => {
  if (
    typeof args.channel_id !== 'string' ||
    typeof args.thread_ts !== 'string' ||
    typeof args.status !== 'string'
  ) {
    return fail({ error: 'invalid_arguments', detail: 'channel_id, thread_ts and status are required' });
  }
  const denied = state.access(args.channel_id);
  if (denied) return fail(denied);
  state.statuses.push({
    channel_id: args.channel_id,
    thread_ts: args.thread_ts,
    status: args.status,
    at: performance.now(),
  });
  return ok();
};

/** Slack's trigger_id: `<digits>.<digits>.<32 hex>`, valid once and for 3 seconds after the click. */
const TRIGGER_ID = /^\d+\.\d+\.[0-9a-f]{32}$/;

/** views.open: a modal for the trigger_id of a click or command, exchanged once. */
const openView: Method = (state, args) => {
  if (typeof args.trigger_id !== 'string' || args.trigger_id === '') {
    return fail({ error: 'invalid_arguments', detail: 'missing required field: trigger_id' });
  }
  if (!TRIGGER_ID.test(args.trigger_id)) return fail('invalid_trigger_id');
  if (state.usedTriggers.has(args.trigger_id)) return fail('exchanged_trigger_id');
  const view = args.view as { type?: unknown; title?: unknown; blocks?: unknown } | undefined;
  if (!view || typeof view !== 'object' || view.type !== 'modal' || typeof view.title !== 'object') {
    return fail({ error: 'invalid_arguments', detail: 'view.type must be modal, with a title' });
  }
  if (!Array.isArray(view.blocks) || view.blocks.length > 100) {
    return fail({ error: 'invalid_arguments', detail: 'view.blocks: at most 100 blocks' });
  }
  const problem = checkBlocks(view.blocks);
  if (problem) return fail(problem);
  state.usedTriggers.add(args.trigger_id);
  return ok({ view: { id: `V${state.usedTriggers.size}MODAL`, ...view } });
};

const isText = (v: unknown) => typeof v === 'string' && v.trim() !== '';

/** assistant.threads.setTitle: a title for a side-panel thread. */
const setTitle: Method = (state, args) => {
  if (!isText(args.channel_id) || !isText(args.thread_ts) || !isText(args.title)) {
    return fail({ error: 'invalid_arguments', detail: 'channel_id, thread_ts and title are required' });
  }
  return state.access(args.channel_id) ? fail(state.access(args.channel_id) ?? '') : ok();
};

/** assistant.threads.setSuggestedPrompts: 1–4 prompts, each a title and the message it sends. */
const setSuggestedPrompts: Method = (state, args) => {
  if (!isText(args.channel_id) || !isText(args.thread_ts)) {
    return fail({ error: 'invalid_arguments', detail: 'channel_id and thread_ts are required' });
  }
  const prompts = args.prompts as unknown;
  const valid =
    Array.isArray(prompts) &&
    prompts.length >= 1 &&
    prompts.length <= 4 &&
    prompts.every((p) => p && typeof p === 'object' && isText(p.title) && isText(p.message));
  if (!valid)
    return fail({ error: 'invalid_arguments', detail: 'prompts: 1 to 4 items with title and message' });
  return state.access(args.channel_id) ? fail(state.access(args.channel_id) ?? '') : ok();
};

export const viewMethods: Record<string, Method> = {
  'assistant.threads.setTitle': setTitle,
  'assistant.threads.setSuggestedPrompts': setSuggestedPrompts,
  'views.open': openView,
  'views.publish': publishView,
  'assistant.threads.setStatus': setStatus,
};
