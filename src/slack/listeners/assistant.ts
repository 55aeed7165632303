import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import {
  ASSISTANT_PROMPTS,
  ASSISTANT_PROMPTS_TITLE,
  ASSISTANT_THREAD_TITLE,
  type AssistantThread,
  type AssistantThreadStore,
} from '../../core/assistant/assistant-threads.js';
import { errorSummary } from '../../core/errors.js';
import type { WorkRunner } from '../../core/jobs/work-runner.js';
import type { Logger } from '../../core/logger.js';
import { eventDelivery } from '../event-ack.js';

export interface AssistantListenerDeps {
  assistantThreads: AssistantThreadStore;
  runner: WorkRunner;
  logger: Logger;
}

/** The fields of `assistant_thread_started` we use (docs.slack.dev/reference/events/assistant_thread_started). */
const threadStarted = z.object({
  type: z.literal('assistant_thread_started'),
  assistant_thread: z.object({
    user_id: z.string().min(1),
    channel_id: z.string().min(1),
    thread_ts: z.string().min(1),
    context: z.object({ channel_id: z.string().optional() }).partial().optional(),
  }),
});
const envelope = z.object({ team_id: z.string().min(1).optional() });

/**
 * A person opened the app in Slack's AI side panel (or its DM's assistant thread): the thread is
 * remembered (before the event is acknowledged, so a message in it is a task), then gets its title
 * and three suggested prompts for data work.
 */
export function registerAssistant(app: App, deps: AssistantListenerDeps): void {
  app.event('assistant_thread_started', async ({ event, body, context, client }) => {
    const parsed = threadStarted.safeParse(event);
    const teamId = context.teamId ?? envelope.safeParse(body).data?.team_id;
    if (!parsed.success || !teamId) {
      deps.logger.warn('unreadable assistant_thread_started event');
      return;
    }
    const started = parsed.data.assistant_thread;
    const thread: AssistantThread = {
      teamId,
      channelId: started.channel_id,
      threadTs: started.thread_ts,
      userId: started.user_id,
      contextChannelId: started.context?.channel_id,
    };
    try {
      await deps.assistantThreads.rememberThread(thread);
    } catch (error) {
      deps.logger.error('could not store a side-panel thread', { teamId, error: errorSummary(error) });
      const delivery = eventDelivery(context);
      if (delivery) delivery.failed = true; // not acknowledged: Slack delivers it again
      return;
    }
    deps.runner.track(`assistant:${thread.threadTs}`, welcome(client, thread, deps.logger));
  });
}

/** Title and suggested prompts; best effort (the thread works without them). */
async function welcome(client: WebClient, thread: AssistantThread, logger: Logger): Promise<void> {
  const where = { channel_id: thread.channelId, thread_ts: thread.threadTs };
  try {
    await client.assistant.threads.setTitle({ ...where, title: ASSISTANT_THREAD_TITLE });
    await client.assistant.threads.setSuggestedPrompts({
      ...where,
      title: ASSISTANT_PROMPTS_TITLE,
      prompts: ASSISTANT_PROMPTS.map((p) => ({ title: p.title, message: p.message })),
    });
  } catch (error) {
    logger.warn('could not set up the side-panel thread', {
      teamId: thread.teamId,
      error: errorSummary(error),
    });
  }
}
