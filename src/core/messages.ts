/** Everything the bot says in its own words (not model output) lives here, so the tone stays consistent. */

import type { NotInConversationKind } from './errors.js';

/** The opening of `/data-engineer help`; the sub-commands are listed after it (src/core/parse-command.ts). */
export const HELP_INTRO = [
  '*Data Engineer* — a senior data engineer in your Slack, powered by Claude.',
  '',
  'Ask for a design, a pipeline, a query or a quality plan. I answer in a thread with the data architecture, an implementation plan, quality checks and working SQL/config:',
  '• `/data-engineer design a pipeline for user analytics`',
  '• `/data-engineer optimize query performance for our reporting dashboards in Redshift`',
  '• `/data-engineer implement data quality checks for the orders table in Snowflake`',
  '',
  'You can also mention me (`@data-engineer …`) in a channel I am in, or send me a direct message.',
  'When a solution needs backend, devops, security or QA input, I ping their owner in the thread. Every morning I post a digest of the day’s work in each channel I worked in.',
];

export const HELP_TIP =
  'Tip: include data volumes, freshness needs, sources and your current stack for a sharper answer.';

export const MENTION_HELP_TEXT =
  'Mention me with a data-engineering task, e.g. `@data-engineer design a pipeline for user analytics`, and I will answer in a thread. `/data-engineer help` shows more examples.';

export function receiptText(channelId: string): string {
  return `Got it. I'm working on it and will answer in a thread in <#${channelId}>.`;
}

export function notInConversationText(why: NotInConversationKind, channelId: string): string {
  if (why === 'archived')
    return 'This channel is archived, so I cannot post here. Try again in an active channel.';
  if (why === 'not_a_member') {
    return `I'm not a member of <#${channelId}> yet, so I can't answer here. Add me with \`/invite @data-engineer\` in this channel, then run your command again.`;
  }
  return [
    "I can't post in this conversation: it's a private channel I haven't been added to, or a direct message between other people.",
    'In a private channel, add me with `/invite @data-engineer` and try again. Otherwise, run the command in a channel I am in, or send me a direct message.',
  ].join(' ');
}

export function cannotPostText(code: string): string {
  return `I couldn't post my answer in this channel (Slack said \`${code}\`). Please try again, or ask an admin to check my permissions.`;
}

export const TASK_TOO_LONG_TEXT =
  'That task is too long for me to take in one go (8,000 characters at most). Please shorten it, or split it into smaller tasks.';

export const CONTEXT_TRIMMED_TEXT =
  '_This thread is getting long, so from here on I work from the original task, my latest solution and the newest messages; older messages in the middle are left out of what I read._';

export const THINKING_STATUS = 'is thinking…';

/** Thread status while Claude is being retried (the status is shown after the bot's name). */
export function retryingStatus(reason: string, attempt: number): string {
  const why = /overload|529/.test(reason)
    ? 'Claude is overloaded'
    : /rate|429/.test(reason)
      ? 'Claude is rate-limited'
      : 'Claude did not answer';
  return `is retrying: ${why}, trying again (attempt ${attempt})…`;
}

export const TRUNCATED_NOTE =
  '\n\n_This answer reached the length limit and was cut short. Ask for the remaining part as a narrower task._';

export const REFUSAL_NOTE = "\n\n_I can't help with this request._";

export const THREAD_NOT_READ_TEXT =
  "I couldn't read the earlier messages of this thread (I may not have access to this channel's history), so I'm answering from your message alone. Add me to the channel with `/invite @data-engineer` to let me read threads.";

export function parentText(requesterId: string, quotedTask: string): string {
  return `<@${requesterId}> asked:\n${quotedTask}`;
}

/** The agent's clarifying questions, as the bot posts them (and stores them for the model to see). */
export function questionsText(questions: readonly string[]): string {
  return [
    '**Before I design this, I need a few answers:**',
    ...questions.map((q, i) => `${i + 1}. ${q}`),
    '',
    "_Reply in this thread and I'll continue from your answers._",
  ].join('\n');
}

/** A time the reader's Slack shows in their own zone; the fallback (UTC) is for clients that cannot. */
function slackTime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const fallback = `${new Date(ms).toISOString().slice(11, 16)} UTC`;
  return `<!date^${seconds}^{time}|${fallback}>`;
}

/** A person reached USER_TASKS_PER_HOUR; says when they may ask again. */
export function personLimitText(limit: number, retryAt: number, now: number): string {
  const minutes = Math.max(1, Math.ceil((retryAt - now) / 60_000));
  return `You've sent me ${limit} tasks and follow-ups in the last hour, the most I take from one person so everyone gets answers. You can ask again at ${slackTime(retryAt)} (in ${minutes} minute${minutes === 1 ? '' : 's'}). This message was not saved.`;
}

/** The workspace spent DAILY_TOKEN_BUDGET; says when it resets. */
export function budgetSpentText(budget: number, resetsAt: number): string {
  return `This workspace has used today's Claude budget (${budget.toLocaleString('en-US')} tokens), so I can't take new tasks or follow-ups until it resets at ${slackTime(resetsAt)} (midnight UTC). This message was not saved; an admin can raise \`DAILY_TOKEN_BUDGET\`.`;
}

export const COMMAND_UNREADABLE_TEXT =
  "Sorry, I couldn't read that command. Please try again; `/data-engineer help` shows how to use me.";

export const TASK_NOT_SAVED_TEXT =
  "Sorry, I couldn't save your task just now, so I haven't started on it. Please try again in a moment.";

export const SOMETHING_WRONG_TEXT = 'Sorry, something went wrong on my side. Please try again in a moment.';

/** Slack could not say whether someone is an admin. */
export function permissionUncheckedText(slackSaid: string): string {
  return `I couldn't check your permissions with Slack just now${slackSaid}. Please try again in a moment.`;
}

/** Someone who is not an admin tried to change a team setting. */
export function adminsOnlyText(botAdmins: readonly string[], what: string): string {
  const admins = botAdmins.map((id) => `<@${id}>`).join(', ');
  return `Sorry, only workspace admins and owners${admins ? ` and the bot's admins (${admins})` : ''} can ${what}. Ask one of them to run the command.`;
}
