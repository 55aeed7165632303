import type { App, SlackViewMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { errorSummary } from '../../core/errors.js';
import {
  FEEDBACK_TEXT,
  type FeedbackDeps,
  MAX_COMMENT_CHARS,
  recordVote,
  type VoteClick,
  voteOutcomeText,
} from '../../core/feedback/feedback.js';
import type { WorkRunner } from '../../core/jobs/work-runner.js';
import type { Logger } from '../../core/logger.js';
import type { ThreadWriter } from '../../core/slack-roles.js';
import {
  FEEDBACK_ACTION,
  FEEDBACK_FORM_BLOCK,
  FEEDBACK_FORM_CALLBACK,
  FEEDBACK_FORM_INPUT,
  feedbackForm,
  parseFeedbackValue,
} from '../../render/feedback-messages.js';
import { readButtonClick } from './button-click.js';

export type FeedbackListenerDeps = FeedbackDeps & {
  runner: WorkRunner;
  logger: Logger;
  slack: Pick<ThreadWriter, 'postEphemeral'>;
};

function readVote(body: unknown): (VoteClick & { triggerId: string }) | undefined {
  const click = readButtonClick(body, (id) => id === FEEDBACK_ACTION, parseFeedbackValue);
  if (!click) return undefined;
  const { teamId, channelId, userId, triggerId, value } = click;
  return { teamId, channelId, userId, triggerId, ...value };
}

/** The 👎 form's submission: which answer (our private_metadata) and the optional note. */
const formSubmission = z.object({
  team: z.object({ id: z.string().min(1) }).nullish(),
  user: z.object({ id: z.string().min(1), team_id: z.string().optional() }),
  view: z.object({
    private_metadata: z.string().max(500),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
    }),
  }),
});
const formMetadata = z.object({ turnId: z.number().int().positive(), channelId: z.string().min(1) });

/** What the 👎 form's submission says, or undefined when it cannot be read. */
function readFormSubmission(body: unknown) {
  const form = formSubmission.safeParse(body);
  let metadata: z.infer<typeof formMetadata> | undefined;
  try {
    metadata = form.success ? formMetadata.parse(JSON.parse(form.data.view.private_metadata)) : undefined;
  } catch {
    metadata = undefined;
  }
  const teamId = form.success ? (form.data.team?.id ?? form.data.user.team_id) : undefined;
  if (!form.success || !metadata || !teamId) return undefined;
  const note = form.data.view.state.values[FEEDBACK_FORM_BLOCK]?.[FEEDBACK_FORM_INPUT]?.value ?? '';
  return { teamId, userId: form.data.user.id, turnId: metadata.turnId, channelId: metadata.channelId, note };
}

/**
 * 👍/👎 under an answer: the vote is stored (one per person per answer, changeable) and acknowledged
 * privately; a new 👎 also opens an optional form asking what was wrong, whose note is kept with it.
 */
export function registerFeedback(app: App, deps: FeedbackListenerDeps): void {
  app.action(FEEDBACK_ACTION, async ({ ack, body, respond, client }) => {
    await ack();
    const tell = (text: string) =>
      respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
    await onVoteClick(deps, body, client, tell);
  });
  app.view(FEEDBACK_FORM_CALLBACK, async ({ ack, body }) => onFormSubmitted(deps, body, ack));
}

/** A 👍/👎 click (already acked): record the vote, open the 👎 form, tell the voter privately. */
async function onVoteClick(
  deps: FeedbackListenerDeps,
  body: unknown,
  client: WebClient,
  tell: (text: string) => Promise<unknown>,
): Promise<void> {
  const click = readVote(body);
  if (!click) {
    deps.logger.warn('unreadable feedback click');
    await tell(FEEDBACK_TEXT.gone);
    return;
  }
  const work = recordVote(deps, click)
    .then(async (outcome) => {
      deps.logger.info('answer feedback', {
        teamId: click.teamId,
        turnId: click.turnId,
        outcome: outcome.kind,
      });
      // The form first: its trigger_id is valid for 3 seconds after the click.
      if (outcome.kind === 'recorded' && outcome.vote === 'down') {
        await client.views
          .open({
            trigger_id: click.triggerId,
            view: feedbackForm(click.turnId, click.channelId, MAX_COMMENT_CHARS),
          })
          .catch((error: unknown) =>
            deps.logger.warn('could not open the feedback form', { error: errorSummary(error) }),
          );
      }
      await tell(voteOutcomeText(outcome));
    })
    .catch((error: unknown) =>
      deps.logger.error('could not record answer feedback', {
        teamId: click.teamId,
        error: errorSummary(error),
      }),
    );
  deps.runner.track(`feedback:${click.turnId}`, work);
  await work;
}

/** The 👎 form was submitted: keep its note with the vote (too long: the form says so and stays open). */
async function onFormSubmitted(
  deps: FeedbackListenerDeps,
  body: unknown,
  ack: SlackViewMiddlewareArgs['ack'],
): Promise<void> {
  const form = readFormSubmission(body);
  if (!form) {
    deps.logger.warn('unreadable feedback form');
    await ack();
    return;
  }
  if (form.note.length > MAX_COMMENT_CHARS) {
    await ack({
      response_action: 'errors',
      errors: { [FEEDBACK_FORM_BLOCK]: `Please keep it under ${MAX_COMMENT_CHARS} characters.` },
    });
    return;
  }
  const saved =
    form.note.trim() !== '' &&
    (await deps.feedback.comment(form.teamId, form.turnId, form.userId, form.note));
  // Stored before the ack, which closes the form.
  await ack();
  if (saved) {
    await deps.slack
      .postEphemeral(form.channelId, form.userId, FEEDBACK_TEXT.commentSaved)
      .catch(() => undefined);
  }
}
