import {
  ALERT_TEXT,
  type CheckAlertChoice,
  checkFailureMessage,
  checkRunText,
} from '../../render/quality-check-messages.js';
import { slackDate } from '../../render/time-text.js';
import type { CollaborationStore } from '../collaboration/collaboration-store.js';
import { errorSummary } from '../errors.js';
import type { Logger } from '../logger.js';
import { isTeamAdmin, type PermissionDeps } from '../permissions.js';
import type { ThreadWriter } from '../slack-roles.js';
import type { QualityCheckStore } from './check-store.js';

/**
 * Why this file exists: the buttons on a check's failure post (issue 17). Acknowledge says someone is on
 * it (once: the first press is kept), Snooze 24 h stops failure posts of that check for a day (runs go
 * on and count), False positive counts that run as passed. Each changes what the team's figures and
 * thread say, so only the channel's QA owner, the check's adopter or an admin may press them.
 */

export const SNOOZE_MS = 24 * 3_600_000;

export interface FailureActionDeps extends PermissionDeps {
  qualityChecks: QualityCheckStore;
  collaboration: Pick<CollaborationStore, 'effectiveOwners'>;
  slack: Pick<ThreadWriter, 'updateBlocks'> & PermissionDeps['slack'];
  logger: Logger;
  checkClock: () => Date;
}

export interface FailureClick {
  teamId: string;
  channelId: string;
  userId: string;
  /** The failure post the button is on. */
  messageTs: string;
  choice: CheckAlertChoice;
  checkId: number;
  slotAt: Date;
}

/** Handles one press; returns what the presser is told privately. */
export async function handleFailureAction(deps: FailureActionDeps, click: FailureClick): Promise<string> {
  const store = deps.qualityChecks;
  const check = await store.check(click.teamId, click.checkId);
  const ref = { teamId: click.teamId, checkId: click.checkId, slotAt: click.slotAt };
  const run = check && check.channelId === click.channelId ? await store.run(ref) : undefined;
  if (!check || !run || run.result?.kind !== 'failed') return ALERT_TEXT.gone;
  const qa = (await deps.collaboration.effectiveOwners(click.teamId, click.channelId)).get('qa');
  const isQaOwner = qa?.kind === 'user' && qa.id === click.userId;
  // A false positive rewrites the check's figures: the QA owner's call (or an admin's), not the adopter's.
  const allowed =
    (click.choice !== 'fp' && check.adoptedBy === click.userId) ||
    isQaOwner ||
    (await isTeamAdmin(deps, click.userId));
  if (!allowed) return click.choice === 'fp' ? ALERT_TEXT.falsePositiveNotAllowed : ALERT_TEXT.notAllowed;

  let reply: string;
  if (click.choice === 'ack') {
    reply = (await store.acknowledge(ref, click.userId))
      ? ALERT_TEXT.acknowledged
      : ALERT_TEXT.alreadyAcknowledged;
  } else if (click.choice === 'snooze') {
    await store.snooze(click.teamId, click.checkId, new Date(deps.checkClock().getTime() + SNOOZE_MS));
    reply = ALERT_TEXT.snoozed;
  } else {
    reply = (await store.markFalsePositive(ref)) ? ALERT_TEXT.falsePositive : ALERT_TEXT.notAFailure;
  }
  await showHandling(deps, click, ref);
  return reply;
}

/** Redraws the failure post with what was done about it (best effort: the store is what counts). */
async function showHandling(
  deps: FailureActionDeps,
  click: FailureClick,
  ref: { teamId: string; checkId: number; slotAt: Date },
): Promise<void> {
  const check = await deps.qualityChecks.check(ref.teamId, ref.checkId);
  const run = await deps.qualityChecks.run(ref);
  if (!check || !run?.result) return;
  const text = checkRunText(
    'failure',
    check,
    run.result.observed,
    `run of ${slackDate(ref.slotAt.getTime())}`,
    undefined,
  );
  const message = checkFailureMessage(text, ref, {
    ...(run.acknowledgedBy ? { acknowledgedBy: run.acknowledgedBy } : {}),
    ...(check.snoozedUntil && check.snoozedUntil > deps.checkClock()
      ? { snoozedUntil: check.snoozedUntil }
      : {}),
    falsePositive: run.falsePositive,
  });
  await deps.slack
    .updateBlocks(click.channelId, click.messageTs, message)
    .catch((error: unknown) =>
      deps.logger.warn('could not update a failure post', { error: errorSummary(error) }),
    );
}
