import { checkFailureMessage, checkRunText } from '../../render/quality-check-messages.js';
import { slackDate } from '../../render/time-text.js';
import type { CollaborationStore } from '../collaboration/collaboration-store.js';
import { type DataSourceCatalog, DataSourceError, ReadOnlyRefusal } from '../data-sources/data-source.js';
import { errorSummary, notInConversation } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ThreadWriter } from '../slack-roles.js';
import { nextAlert } from './alert-policy.js';
import { dueSlot } from './check-schedule.js';
import type { AdoptedCheck, QualityCheckStore, RunRef, RunResult } from './check-store.js';
import { evaluateCheck } from './evaluate-check.js';

/**
 * Why this file exists: adopted checks, running (issue 17). Each pass claims every due slot (one run per
 * check and slot, by the store's key; a run still going is never started twice; a run whose process
 * died is claimed again once stale), queries the check's read-only source, judges the rows with the
 * answer's rule, stores the result with what the thread is told, then posts that (failure, recovery,
 * flapping) once: a post cut short by a crash is found by its metadata key, never repeated.
 */

export interface CheckRunnerDeps {
  qualityChecks: QualityCheckStore;
  dataSources: Pick<DataSourceCatalog, 'get'>;
  collaboration: Pick<CollaborationStore, 'effectiveOwners'>;
  slack: Pick<ThreadWriter, 'postText' | 'postBlocks' | 'findPosted'>;
  logger: Logger;
}

/** A run with no result after this long is taken to be dead (statements time out in seconds). */
export const CHECK_RUN_STALE_MS = 10 * 60_000;
/** Checks looked at per pass; the rest wait for the next pass (oldest slot first). */
const CHECKS_PER_PASS = 5_000;
/** Runs at once against one source: a warehouse serves people first. */
const RUNS_PER_SOURCE = 2;

export async function runDueChecks(deps: CheckRunnerDeps, now: Date): Promise<{ ran: number }> {
  await announce(deps, true);
  const store = deps.qualityChecks;
  const staleBefore = new Date(now.getTime() - CHECK_RUN_STALE_MS);
  const claimed: { ref: RunRef; check: AdoptedCheck }[] = [];
  for (const ref of store.abandonedRuns(staleBefore, CHECKS_PER_PASS)) {
    const check = store.check(ref.teamId, ref.checkId);
    if (check && store.claimRun(ref.teamId, ref.checkId, ref.slotAt, now, staleBefore))
      claimed.push({ ref, check });
  }
  for (const check of store.activeChecks(CHECKS_PER_PASS)) {
    const due = dueSlot(check.schedule, check.timeZone, check.lastSlotAt, now);
    if (!due || store.isRunning(check.teamId, check.id, staleBefore)) continue;
    const ref = { teamId: check.teamId, checkId: check.id, slotAt: due.slot };
    if (store.claimRun(check.teamId, check.id, due.slot, now, staleBefore)) claimed.push({ ref, check });
  }
  await runPerSource(claimed, ({ ref, check }) => runOne(deps, ref, check));
  await announce(deps, false);
  return { ran: claimed.length };
}

/** Runs each source's checks RUNS_PER_SOURCE at a time, every source at once. */
async function runPerSource<T extends { check: AdoptedCheck }>(items: T[], run: (item: T) => Promise<void>) {
  const bySource = new Map<string, T[]>();
  for (const item of items)
    bySource.set(item.check.sourceName, [...(bySource.get(item.check.sourceName) ?? []), item]);
  const lanes = [...bySource.values()].flatMap((queue) =>
    Array.from({ length: RUNS_PER_SOURCE }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) await run(item);
    }),
  );
  await Promise.all(lanes);
}

async function runOne(deps: CheckRunnerDeps, ref: RunRef, check: AdoptedCheck): Promise<void> {
  const result = await queryCheck(deps, check);
  // A run that could not query (source down, timeout) says nothing about the data: the alert state stays.
  const judged =
    result.kind === 'error'
      ? { state: check.alert, action: 'none' as const }
      : nextAlert(check.alert, result.kind === 'passed', ref.slotAt);
  // Snoozed from a failure post: the state moves on, but failures and flapping are not posted.
  const snoozed = (check.snoozedUntil?.getTime() ?? 0) > ref.slotAt.getTime();
  const action = snoozed && judged.action !== 'recovery' ? 'none' : judged.action;
  deps.qualityChecks.finishRun(ref, { result, alert: judged.state, action }, new Date());
  deps.logger.info('check run', {
    teamId: ref.teamId,
    checkId: ref.checkId,
    result: result.kind,
    action,
  });
}

async function queryCheck(deps: CheckRunnerDeps, check: AdoptedCheck): Promise<RunResult> {
  const source = deps.dataSources.get(check.sourceName);
  if (!source) return { kind: 'error', observed: `the source ${check.sourceName} is not configured` };
  try {
    const verdict = evaluateCheck(check.expectation, await source.query(check.sql));
    return { kind: verdict.passed ? 'passed' : 'failed', observed: verdict.observed };
  } catch (error) {
    if (error instanceof ReadOnlyRefusal) return { kind: 'error', observed: `refused: ${error.reason}` };
    if (error instanceof DataSourceError) {
      return { kind: 'error', observed: error.timedOut ? 'timed out' : error.message.slice(0, 300) };
    }
    deps.logger.error('check run failed', { checkId: check.id, error: errorSummary(error) });
    return { kind: 'error', observed: 'the run failed' };
  }
}

/** Posts what finished runs must say. `recovering`: runs left by an earlier pass may have landed. */
async function announce(deps: CheckRunnerDeps, recovering: boolean): Promise<void> {
  for (const run of deps.qualityChecks.unannounced(500)) {
    const check = deps.qualityChecks.check(run.teamId, run.checkId);
    if (!check) continue;
    const key = `check-${run.checkId}-${run.slotAt.getTime()}`;
    const qa = deps.collaboration.effectiveOwners(run.teamId, check.channelId).get('qa');
    const owner =
      qa && check.severity === 'critical'
        ? qa.kind === 'user'
          ? `<@${qa.id}>`
          : `<!subteam^${qa.id}>`
        : undefined;
    const slotText = `run of ${slackDate(run.slotAt.getTime())}`;
    const text = checkRunText(
      run.action,
      check,
      run.observed,
      slotText,
      run.action === 'failure' ? owner : undefined,
    );
    const post = () =>
      run.action === 'failure'
        ? deps.slack.postBlocks(check.channelId, checkFailureMessage(text, run, {}), check.threadTs, key)
        : deps.slack.postText(check.channelId, text, check.threadTs, key);
    try {
      const earlier = recovering
        ? await deps.slack.findPosted(check.channelId, key, check.threadTs)
        : undefined;
      deps.qualityChecks.markAnnounced(run, earlier ?? (await post()));
    } catch (error) {
      // The thread is gone for good (archived, bot removed): nothing to retry; the list still shows it.
      if (notInConversation(error)) deps.qualityChecks.markAnnounced(run, '');
      deps.logger.warn('could not post a check result', { checkId: run.checkId, error: errorSummary(error) });
    }
  }
}
