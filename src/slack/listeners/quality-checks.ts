import type { App, SlackViewMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { errorSummary } from '../../core/errors.js';
import type { WorkRunner } from '../../core/jobs/work-runner.js';
import type { Logger } from '../../core/logger.js';
import {
  type AdoptClick,
  type AdoptDeps,
  adoptAccess,
  adoptChecks,
} from '../../core/quality-monitor/adopt-checks.js';
import { type CheckSchedule, parseCheckSchedule } from '../../core/quality-monitor/check-schedule.js';
import {
  type FailureActionDeps,
  type FailureClick,
  handleFailureAction,
} from '../../core/quality-monitor/failure-actions.js';
import type { ThreadWriter } from '../../core/slack-roles.js';
import {
  ADOPT_CHECKS_ACTION,
  ADOPT_FORM,
  ADOPT_FORM_CALLBACK,
  ADOPT_TEXT,
  ALERT_TEXT,
  adoptedText,
  adoptForm,
  CHECK_ALERT_ACTION,
  describeSchedule,
  parseAdoptValue,
  parseCheckAlertValue,
} from '../../render/quality-check-messages.js';
import { readButtonClick } from './button-click.js';

export type QualityCheckListenerDeps = AdoptDeps & {
  runner: WorkRunner;
  logger: Logger;
  slack: Pick<ThreadWriter, 'postEphemeral' | 'postText' | 'updateBlocks'>;
  /** Schedules are read in the workspace's digest time zone (DIGEST_TIME_ZONE or the workspace's). */
  defaultSchedule: { timeZone: string };
  /** Adoption time: the first slot is after it. */
  checkClock: () => Date;
};

function readClick(body: unknown): (AdoptClick & { triggerId: string }) | undefined {
  const click = readButtonClick(body, (id) => id === ADOPT_CHECKS_ACTION, parseAdoptValue);
  if (!click) return undefined;
  const { teamId, channelId, userId, triggerId, value } = click;
  return { teamId, channelId, userId, triggerId, ...value };
}

const formMetadata = z.object({
  taskId: z.number().int().positive(),
  turnId: z.number().int().positive(),
  channelId: z.string().min(1).max(20),
});
const selected = z.object({ value: z.string().max(100) }).nullish();
const formSubmission = z.object({
  team: z.object({ id: z.string().min(1) }).nullish(),
  user: z.object({ id: z.string().min(1), team_id: z.string().optional() }),
  view: z.object({
    private_metadata: z.string().max(500),
    state: z.object({
      values: z.record(
        z.string(),
        z.record(
          z.string(),
          z.object({
            selected_option: selected,
            selected_time: z.string().max(10).nullish(),
            value: z.string().max(200).nullish(),
          }),
        ),
      ),
    }),
  }),
});

type FormFields = z.infer<typeof formSubmission>['view']['state']['values'];
const field = (values: FormFields, f: { block: string; input: string }) => values[f.block]?.[f.input];

function readSubmission(body: unknown) {
  const form = formSubmission.safeParse(body);
  if (!form.success) return undefined;
  let metadata: z.infer<typeof formMetadata>;
  try {
    metadata = formMetadata.parse(JSON.parse(form.data.view.private_metadata));
  } catch {
    return undefined;
  }
  const teamId = form.data.team?.id ?? form.data.user.team_id;
  if (!teamId) return undefined;
  const values = form.data.view.state.values;
  return {
    click: { teamId, userId: form.data.user.id, ...metadata },
    sourceName: field(values, ADOPT_FORM.source)?.selected_option?.value ?? '',
    frequency: field(values, ADOPT_FORM.frequency)?.selected_option?.value ?? 'daily',
    time: field(values, ADOPT_FORM.time)?.selected_time ?? '',
    cron: field(values, ADOPT_FORM.cron)?.value ?? '',
  };
}

/** The form's schedule, or the field to complain about. */
function scheduleOf(
  form: NonNullable<ReturnType<typeof readSubmission>>,
): { schedule: CheckSchedule } | { errors: Record<string, string> } {
  if (form.frequency === 'hourly') return { schedule: { kind: 'hourly', minute: 0 } };
  if (form.frequency === 'cron') {
    if (form.cron.trim() === '') return { errors: { [ADOPT_FORM.cron.block]: 'Type a cron expression.' } };
    const parsed = parseCheckSchedule(form.cron);
    return 'problem' in parsed
      ? { errors: { [ADOPT_FORM.cron.block]: parsed.problem } }
      : { schedule: parsed };
  }
  const parsed = parseCheckSchedule(`daily at ${form.time || '07:00'}`);
  return 'problem' in parsed ? { errors: { [ADOPT_FORM.time.block]: parsed.problem } } : { schedule: parsed };
}

/**
 * "Adopt these checks" under an answer: who may is checked at the click (a private refusal otherwise)
 * and again when the form is submitted; the form asks for the source and the schedule.
 */
export function registerQualityChecks(app: App, deps: QualityCheckListenerDeps): void {
  app.action(ADOPT_CHECKS_ACTION, async ({ ack, body, respond, client }) => {
    await ack();
    const tell = (text: string) =>
      respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
    const work = onAdoptClick(deps, body, client, tell).catch((error: unknown) =>
      deps.logger.error('could not open the adopt form', { error: errorSummary(error) }),
    );
    deps.runner.track('adopt-checks', work);
    await work;
  });
  app.view(ADOPT_FORM_CALLBACK, async ({ ack, body }) => onAdoptSubmitted(deps, body, ack));
}

async function onAdoptClick(
  deps: QualityCheckListenerDeps,
  body: unknown,
  client: WebClient,
  tell: (text: string) => Promise<unknown>,
): Promise<void> {
  const click = readClick(body);
  if (!click) {
    deps.logger.warn('unreadable adopt click');
    await tell(ADOPT_TEXT.gone);
    return;
  }
  const access = await adoptAccess(deps, click);
  if (access.kind !== 'allowed') {
    await tell(ADOPT_TEXT[access.kind]);
    return;
  }
  const metadata = JSON.stringify({ taskId: click.taskId, turnId: click.turnId, channelId: click.channelId });
  const form = adoptForm(access.checks, [access.source], metadata, deps.defaultSchedule.timeZone);
  await client.views.open({ trigger_id: click.triggerId, view: form as never });
}

async function onAdoptSubmitted(
  deps: QualityCheckListenerDeps,
  body: unknown,
  ack: SlackViewMiddlewareArgs['ack'],
): Promise<void> {
  const form = readSubmission(body);
  if (!form) {
    deps.logger.warn('unreadable adopt form');
    await ack();
    return;
  }
  const read = scheduleOf(form);
  if ('errors' in read) {
    await ack({ response_action: 'errors', errors: read.errors });
    return;
  }
  const { schedule } = read;
  const timeZone = deps.defaultSchedule.timeZone;
  const outcome = await adoptChecks(deps, {
    ...form.click,
    sourceName: form.sourceName,
    schedule,
    timeZone,
    at: deps.checkClock(),
  });
  if (outcome.kind === 'unknown_source') {
    await ack({
      response_action: 'errors',
      errors: { [ADOPT_FORM.source.block]: ADOPT_TEXT.unknown_source },
    });
    return;
  }
  // Stored (or refused) before the ack, which closes the form.
  await ack();
  const { channelId, userId } = form.click;
  if (outcome.kind !== 'adopted') {
    const refused = deps.slack.postEphemeral(channelId, userId, ADOPT_TEXT[outcome.kind]).then(
      () => undefined,
      () => undefined,
    );
    deps.runner.track('checks-refused', refused);
    await refused;
    return;
  }
  deps.logger.info('checks adopted', { teamId: form.click.teamId, adopted: outcome.adopted.length });
  const threadTs = outcome.adopted[0]?.threadTs;
  const text = adoptedText(
    outcome.adopted,
    outcome.taken,
    describeSchedule(schedule),
    timeZone,
    form.sourceName,
  );
  const post = threadTs
    ? deps.slack.postText(channelId, text, threadTs)
    : deps.slack.postEphemeral(channelId, userId, text);
  const work = post.then(
    () => undefined,
    (error: unknown) => deps.logger.warn('could not post the adoption', { error: errorSummary(error) }),
  );
  deps.runner.track('checks-adopted', work);
  await work;
}

function readAlertClick(body: unknown): FailureClick | undefined {
  const click = readButtonClick(body, (id) => id.startsWith(CHECK_ALERT_ACTION), parseCheckAlertValue);
  if (!click?.messageTs) return undefined;
  const { teamId, channelId, userId, messageTs, value } = click;
  return { teamId, channelId, userId, messageTs, ...value };
}

/** Acknowledge / Snooze 24 h / False positive on a check's failure post. */
export function registerCheckAlerts(app: App, deps: QualityCheckListenerDeps & FailureActionDeps): void {
  app.action(new RegExp(`^${CHECK_ALERT_ACTION}_(ack|snooze|fp)$`), async ({ ack, body, respond }) => {
    await ack();
    const tell = (text: string) =>
      respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
    const click = readAlertClick(body);
    if (!click) {
      deps.logger.warn('unreadable check alert click');
      await tell(ALERT_TEXT.gone);
      return;
    }
    const work = handleFailureAction(deps, click)
      .then(tell)
      .catch((error: unknown) =>
        deps.logger.error('could not handle a check alert', { error: errorSummary(error) }),
      );
    deps.runner.track(
      'check-alert',
      work.then(() => undefined),
    );
    await work;
  });
}
