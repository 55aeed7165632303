import type { Expectation } from '../core/quality-monitor/check-definition.js';
import type { CheckSchedule } from '../core/quality-monitor/check-schedule.js';
import type { AdoptedCheck, CheckRun, ProposedCheck } from '../core/quality-monitor/check-store.js';
import type { PassRate } from '../core/quality-monitor/pass-rates.js';
import type { BlockMessage } from '../core/slack-roles.js';
import { neutraliseMentions } from './sanitise.js';
import { slackDate } from './time-text.js';

/** The quality monitor's messages (issue 17): the offer under an answer, adoption, runs, the list. */

/** The words people read for an expectation ("no rows", "between 0 and 0.01", "at most 5"). */
export function describeExpectation(expectation: Expectation): string {
  if (expectation.kind === 'no_rows') return 'no rows';
  const { min, max } = expectation;
  if (min !== undefined && max !== undefined)
    return min === max ? `exactly ${min}` : `between ${min} and ${max}`;
  if (max !== undefined) return `at most ${max}`;
  return `at least ${min}`;
}

/** The words people read for a schedule ("hourly at :15", "daily at 07:30", "cron `0 9 * * 1-5`"). */
export function describeSchedule(schedule: CheckSchedule): string {
  if (schedule.kind === 'hourly') return `hourly at :${String(schedule.minute).padStart(2, '0')}`;
  if (schedule.kind === 'daily') return `daily at ${schedule.time}`;
  return `cron \`${schedule.expression}\``;
}

export const ADOPT_CHECKS_ACTION = 'adopt_checks';

/** The button's value names the task and the answer that offered the checks: `42:7`. */
export function adoptValue(taskId: number, turnId: number): string {
  return `${taskId}:${turnId}`;
}

export function parseAdoptValue(value: string): { taskId: number; turnId: number } | undefined {
  const match = /^([1-9]\d{0,15}):([1-9]\d{0,15})$/.exec(value);
  if (!match) return undefined;
  const [taskId, turnId] = [Number(match[1]), Number(match[2])];
  return Number.isSafeInteger(taskId) && Number.isSafeInteger(turnId) ? { taskId, turnId } : undefined;
}

const SEVERITY_MARK = { critical: '🔴', warning: '🟠', info: '⚪' } as const;

/** One line per check. Names are validated slugs; the SQL is in the answer itself, not repeated here. */
function checkLine(check: ProposedCheck): string {
  const sandbox = check.sandboxPassed
    ? `passed on the synthetic data (${check.sandboxObserved})`
    : `did not pass on the synthetic data (${check.sandboxObserved})`;
  return `${SEVERITY_MARK[check.severity]} \`${check.name}\`: expects ${describeExpectation(check.expectation)}; ${sandbox}`;
}

/** Lines grouped into sections within Slack's 3,000 characters per section text. */
function sections(lines: string[]): object[] {
  const texts: string[] = [];
  for (const line of lines) {
    const last = texts.at(-1);
    if (last !== undefined && last.length + 1 + line.length <= SECTION_CHARS)
      texts[texts.length - 1] = `${last}\n${line}`;
    else texts.push(line.slice(0, SECTION_CHARS));
  }
  return texts.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));
}

const SECTION_CHARS = 2_900;

/** Under an answer that proposed checks: what they are and the button that schedules them. */
export function checkOfferMessage(taskId: number, turnId: number, checks: ProposedCheck[]): BlockMessage {
  const title = `*${checks.length} data-quality check${checks.length === 1 ? '' : 's'} from this answer can run on a schedule*`;
  return {
    text: `${checks.length} data-quality check(s) from this answer can run on a schedule.`,
    blocks: [
      ...sections([title, ...checks.map(checkLine)]),
      {
        type: 'actions',
        block_id: `adopt-checks-${turnId}`,
        elements: [
          {
            type: 'button',
            action_id: ADOPT_CHECKS_ACTION,
            text: { type: 'plain_text', text: 'Adopt these checks' },
            value: adoptValue(taskId, turnId),
          },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: 'The requester, the channel’s QA owner or an admin can adopt them: pick a data source and a schedule; failures are posted in this thread.',
          },
        ],
      },
    ],
  };
}

export const ADOPT_FORM_CALLBACK = 'adopt_checks_form';
export const ADOPT_FORM = {
  source: { block: 'source', input: 'source' },
  frequency: { block: 'frequency', input: 'frequency' },
  time: { block: 'time', input: 'time' },
  cron: { block: 'cron', input: 'cron' },
} as const;

/** The adopt form: which source the checks query and how often. `metadata` goes back with the submission. */
export function adoptForm(
  checks: number,
  sources: { name: string; kind: string }[],
  metadata: string,
  timeZone: string,
): object {
  const option = (value: string, text: string) => ({ text: { type: 'plain_text', text }, value });
  const sourceOptions = sources.map((s) => option(s.name, `${s.name} (${s.kind})`.slice(0, 75)));
  const daily = option('daily', 'Daily at the time below');
  return {
    type: 'modal',
    callback_id: ADOPT_FORM_CALLBACK,
    private_metadata: metadata,
    title: { type: 'plain_text', text: 'Adopt checks' },
    submit: { type: 'plain_text', text: 'Adopt' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `${checks} check${checks === 1 ? '' : 's'} will run read-only against the source you pick; a failure is posted once in the answer's thread and pings the channel's QA owner.`,
        },
      },
      {
        type: 'input',
        block_id: ADOPT_FORM.source.block,
        label: { type: 'plain_text', text: 'Data source' },
        element: {
          type: 'static_select',
          action_id: ADOPT_FORM.source.input,
          options: sourceOptions,
          ...(sourceOptions[0] ? { initial_option: sourceOptions[0] } : {}),
        },
      },
      {
        type: 'input',
        block_id: ADOPT_FORM.frequency.block,
        label: { type: 'plain_text', text: 'How often' },
        element: {
          type: 'radio_buttons',
          action_id: ADOPT_FORM.frequency.input,
          initial_option: daily,
          options: [option('hourly', 'Hourly'), daily, option('cron', 'Cron expression below')],
        },
      },
      {
        type: 'input',
        block_id: ADOPT_FORM.time.block,
        optional: true,
        label: { type: 'plain_text', text: `Time of day (${timeZone})`.slice(0, 2000) },
        element: { type: 'timepicker', action_id: ADOPT_FORM.time.input, initial_time: '07:00' },
      },
      {
        type: 'input',
        block_id: ADOPT_FORM.cron.block,
        optional: true,
        label: { type: 'plain_text', text: 'Cron expression' },
        hint: {
          type: 'plain_text',
          text: `Five fields, in ${timeZone}; at least 15 minutes apart.`.slice(0, 2000),
        },
        element: {
          type: 'plain_text_input',
          action_id: ADOPT_FORM.cron.input,
          max_length: 100,
          placeholder: { type: 'plain_text', text: '0 */6 * * *' },
        },
      },
    ],
  };
}

export const ADOPT_TEXT = {
  gone: 'That answer is no longer here, so its checks cannot be adopted.',
  not_allowed:
    'Only the person who asked for this answer, the channel’s QA owner or an admin can adopt its checks.',
  nothing_offered: 'This answer has no checks to adopt.',
  no_sources:
    'This channel has no data source, so the checks would have nothing to run against. An admin maps one with `/data-engineer sources use <name>` (`/data-engineer sources` lists them).',
  unknown_source: 'This channel’s data source changed while the form was open; open it again.',
  team_full:
    'This workspace already runs the most checks it may (500). Delete some with `/data-engineer checks delete <name>` first.',
  channel_full:
    'This channel already runs the most checks it may (50). Delete some with `/data-engineer checks delete <name>` first.',
} as const;

/** Posted in the answer's thread once the checks are adopted (bot-composed: names are validated slugs). */
export function adoptedText(
  adopted: { name: string }[],
  taken: string[],
  schedule: string,
  timeZone: string,
  sourceName: string,
): string {
  const names = (list: string[]) => list.map((name) => `\`${name}\``).join(', ');
  const lines: string[] = [];
  if (adopted.length > 0) {
    lines.push(
      `✅ ${adopted.length} check${adopted.length === 1 ? '' : 's'} adopted: ${names(adopted.map((c) => c.name))}. ${adopted.length === 1 ? 'It runs' : 'They run'} ${schedule} (${timeZone}) against \`${sourceName}\`, read-only; a failure is posted here.`,
    );
  }
  if (taken.length > 0) lines.push(`Already adopted in this channel, left as they are: ${names(taken)}.`);
  return lines.join('\n');
}

/** What a check run's thread is told (alert-policy.ts decides when). */
export function checkRunText(
  action: 'failure' | 'recovery' | 'flapping',
  check: { name: string; severity: string; sourceName: string; sql: string; expectation: Expectation },
  observed: string,
  slotText: string,
  qaOwner: string | undefined,
): string {
  const name = `\`${check.name}\``;
  if (action === 'recovery') {
    return `🟢 Check ${name} passes again (${slotText} on \`${check.sourceName}\`: ${observed}).`;
  }
  if (action === 'flapping') {
    return `🟡 Check ${name} keeps switching between passing and failing (now: ${observed}). The bot stays quiet about it until it has been steady for a day; \`/data-engineer checks\` shows its latest result.`;
  }
  // The SQL was validated as one SELECT, but it is model-written: no mention inside it may notify anyone.
  // `<`, `>` and `&` escaped as Slack asks: a `<https://…|label>` in a comment stays text, not a link.
  const sql = neutraliseMentions(
    (check.sql.length > 1_500 ? `${check.sql.slice(0, 1_500)}\n…` : check.sql)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;'),
  ).replaceAll('```', '`​``');
  return [
    `🔴 *Check ${name} failed* (${check.severity}, ${slotText} on \`${check.sourceName}\`): returned ${observed}; expected ${describeExpectation(check.expectation)}.${qaOwner ? ` ${qaOwner}, this is yours as QA owner.` : ''}`,
    `\`\`\`${sql}\`\`\``,
    '_Its runs and pass rate: `/data-engineer checks` in this channel._',
  ].join('\n');
}

export const CHECKS_TEXT = {
  unknown: (name: string) =>
    `No check named \`${name}\` in this channel. \`/data-engineer checks\` lists them.`,
  notAllowed: 'Only an admin, the channel’s QA owner or the person who adopted this check can change it.',
  deleted: (name: string) => `Deleted the check \`${name}\` and its run history.`,
  paused: (name: string) => `Paused \`${name}\`. \`/data-engineer checks resume ${name}\` starts it again.`,
  alreadyPaused: (name: string) => `\`${name}\` is already paused.`,
  resumed: (name: string) => `Resumed \`${name}\` from now; the runs it missed while paused are skipped.`,
  alreadyActive: (name: string) => `\`${name}\` is not paused.`,
} as const;

export interface CheckListEntry {
  check: AdoptedCheck;
  latest: CheckRun | undefined;
  next: Date | undefined;
  week: PassRate;
  month: PassRate;
}

const RESULT_MARK = { passed: '✅', failed: '🔴', error: '⚠️' } as const;

/** `/data-engineer checks`: one block of lines per check, within an ephemeral message's limits. */
export function checkListText(entries: CheckListEntry[]): string {
  if (entries.length === 0) {
    return 'No scheduled checks in this channel. Answers that design data-quality checks offer an *Adopt these checks* button.';
  }
  const lines = entries.map(({ check, latest, next, week, month }) => {
    const result = latest?.result
      ? `${RESULT_MARK[latest.result.kind]} ${latest.result.kind} (${neutraliseMentions(latest.result.observed.slice(0, 200))}) ${slackDate(latest.slotAt.getTime())}`
      : latest
        ? 'running now'
        : 'no run yet';
    const when =
      check.state === 'paused' ? '⏸ paused' : `next ${next ? slackDate(next.getTime()) : 'not scheduled'}`;
    return [
      `*\`${check.name}\`* (${check.severity}) on \`${check.sourceName}\`, ${describeSchedule(check.schedule)} (${check.timeZone}) · ${when}`,
      `   latest: ${result} · passing ${formatPassRate(week)} over 7 days, ${formatPassRate(month)} over 30 days · adopted by <@${check.adoptedBy}>`,
    ].join('\n');
  });
  return [`*Scheduled checks in this channel (${entries.length})*`, ...lines].join('\n');
}

/** "99.3% (143 of 144 runs)", or "no runs" — one decimal, never rounded up to 100% while a run failed. */
export function formatPassRate(rate: PassRate): string {
  if (rate.share === undefined) return 'no runs';
  const percent = Math.floor(rate.share * 1000) / 10;
  return `${percent}% (${rate.passed} of ${rate.total} run${rate.total === 1 ? '' : 's'})`;
}

export const CHECK_ALERT_ACTION = 'check_alert';
export type CheckAlertChoice = 'ack' | 'snooze' | 'fp';

/** A failure post's buttons say what and which run: `ack:12:1796032800000`. */
export function checkAlertValue(choice: CheckAlertChoice, run: { checkId: number; slotAt: Date }): string {
  return `${choice}:${run.checkId}:${run.slotAt.getTime()}`;
}

export function parseCheckAlertValue(
  value: string,
): { choice: CheckAlertChoice; checkId: number; slotAt: Date } | undefined {
  const match = /^(ack|snooze|fp):([1-9]\d{0,15}):(\d{1,15})$/.exec(value);
  if (!match) return undefined;
  const [checkId, slot] = [Number(match[2]), Number(match[3])];
  if (!Number.isSafeInteger(checkId) || !Number.isSafeInteger(slot)) return undefined;
  return { choice: match[1] as CheckAlertChoice, checkId, slotAt: new Date(slot) };
}

/** What people did about a failure, shown under it. */
export interface FailureHandling {
  acknowledgedBy?: string;
  snoozedUntil?: Date;
  falsePositive?: boolean;
}

/** A failure post: the text, then Acknowledge / Snooze 24 h / False positive, then what was done. */
export function checkFailureMessage(
  text: string,
  run: { checkId: number; slotAt: Date },
  handling: FailureHandling,
): BlockMessage {
  const button = (choice: CheckAlertChoice, label: string) => ({
    type: 'button',
    action_id: `${CHECK_ALERT_ACTION}_${choice}`,
    text: { type: 'plain_text', text: label },
    value: checkAlertValue(choice, run),
  });
  const done = [
    handling.acknowledgedBy ? `✔ Acknowledged by <@${handling.acknowledgedBy}>` : undefined,
    handling.snoozedUntil ? `💤 Snoozed until ${slackDate(handling.snoozedUntil.getTime())}` : undefined,
    handling.falsePositive ? '🚫 Marked a false positive (counted as passed)' : undefined,
  ].filter((line): line is string => line !== undefined);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: `check-alert-${run.checkId}-${run.slotAt.getTime()}`,
        elements: [
          button('ack', 'Acknowledge'),
          button('snooze', 'Snooze 24 h'),
          button('fp', 'False positive'),
        ],
      },
      ...(done.length > 0
        ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: done.join(' · ') }] }]
        : []),
    ],
  };
}

export const ALERT_TEXT = {
  gone: 'That check or run is no longer here.',
  notAllowed:
    'Only the channel’s QA owner, the person who adopted the check or an admin can handle its failures.',
  falsePositiveNotAllowed: 'Only the channel’s QA owner or an admin can mark a failure a false positive.',
  acknowledged: 'Acknowledged. The thread shows it.',
  alreadyAcknowledged: 'Someone already acknowledged this failure.',
  snoozed: 'Snoozed for 24 hours: failures of this check are not posted until then (runs go on and count).',
  falsePositive:
    'Marked a false positive: this run counts as passed. If the check is wrong, ask in the thread for a fixed one.',
  notAFailure: 'That run is not a failure (or is already marked).',
} as const;
