/**
 * Slack's AI-app surfaces (the side panel and the app's DM): when a person opens a thread there, it
 * gets a title and three data-work prompts, and it is remembered so that the first message in it starts
 * a task answered in that thread (a thread in a DM is otherwise not for the bot).
 */

export interface AssistantThread {
  teamId: string;
  channelId: string;
  threadTs: string;
  userId: string;
  /** The channel the person was looking at when they opened the panel, if Slack says. */
  contextChannelId?: string | undefined;
}

export interface AssistantThreadStore {
  /** Remembers a side-panel thread (idempotent: Slack may deliver the event twice). */
  rememberThread(thread: AssistantThread): Promise<void>;
  isAssistantThread(teamId: string, channelId: string, threadTs: string): Promise<boolean>;
}

export const ASSISTANT_THREAD_TITLE = 'Data engineering';
export const ASSISTANT_PROMPTS_TITLE = 'Try one of these:';

/** Three starting points for data work (Slack shows at most four). */
export const ASSISTANT_PROMPTS = [
  {
    title: 'Design a pipeline',
    message:
      'Design a pipeline that loads our product events into the warehouse every hour, with deduplication and late-arriving events handled.',
  },
  {
    title: 'Model a schema',
    message:
      'Propose a dimensional model (facts and dimensions) for orders, customers and payments, with the SQL DDL.',
  },
  {
    title: 'Add data quality checks',
    message:
      'Write data quality checks for a daily orders table: freshness, volume, uniqueness and null rates, with alerting.',
  },
] as const;
