import { checkFailureMessage, checkRunText } from '../../render/quality-check-messages.js';
import { slackDate } from '../../render/time-text.js';
import type { CollaborationStore } from '../collaboration/collaboration-store.js';
import type { ChannelSourceStore } from '../data-sources/channel-sources.js';
import { type DataSourceCatalog, DataSourceError, ReadOnlyRefusal } from '../data-sources/data-source.js';
import { maskText } from '../data-sources/pii-mask.js';
import { errorSummary, notInConversation } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ThreadWriter } from '../slack-roles.js';
import { nextAlert } from './alert-policy.js';
import { dueSlot, nextSlot } from './check-schedule.js';
import type { AdoptedCheck, ClaimRef, QualityCheckStore, RunRef, RunResult } from './check-store.js';
import { evaluateCheck } from './evaluate-check.js';

/**
 * Why this file exists: adopted checks, running (issue 17). Each pass claims the due slots (one run per
 * check and slot, by the store's key; one run per check per pass; a run still going is never started
 * twice; a run whose process died is taken over once stale), queries the check's read-only source,
 * judges the rows with the answer's rule, stores the result with what the thread is told, then posts
 * that (failure, recovery, flapping) once: each post is claimed first, and a post tried before is looked
 * up by its metadata key, never repeated.
 */

export interface CheckRunnerDeps {
  qualityChecks: QualityCheckStore;
  dataSources: Pick<DataSourceCatalog, 'get'>;
  /** A check queries its source only while an admin keeps that source mapped to its channel. */
  channelSources: Pick<ChannelSourceStore, 'sourceOf'>;
  collaboration: Pick<CollaborationStore, 'effectiveOwners'>;
  slack: Pick<ThreadWriter, 'postText' | 'postBlocks' | 'findPosted'>;
  logger: Logger;
  /** The scheduler's clock (tests move it). */
  checkClock: () => Date;
  /** Runs by outcome, for /metrics (absent: not counted). */
  metrics?: Pick<Metrics, 'checkRun'>;
  /**
   * Runs work as one workspace's (several workspaces: its Slack calls use that workspace's token).
   * Absent with one workspace.
   */
  inWorkspace?: <T>(teamId: string, work: () => Promise<T>) => Promise<T>;
}

function asWorkspace<T>(deps: CheckRunnerDeps, teamId: string, work: () => Promise<T>): Promise<T> {
  return deps.inWorkspace ? deps.inWorkspace(teamId, work) : work();
}

/** A run with no result after this long is taken to be dead (statements time out in seconds). */
export const CHECK_RUN_STALE_MS = 10 * 60_000;
/** Checks looked at per pass; the rest wait for the next pass (soonest slot first). */
const CHECKS_PER_PASS = 5_000;
/** Runs at once against one source: a warehouse serves people first. */
const RUNS_PER_SOURCE = 2;
/** A process that claimed a post and died: another may make it after this long. */
const ANNOUNCE_STALE_MS = 2 * 60_000;
/** A post that failed this often (not a vanished thread) is given up: it must not hold up the others. */
const MAX_ANNOUNCE_ATTEMPTS = 5;
/** QA-owner pings from failing checks per channel and day; past it, failures are posted without one. */
export const MAX_QA_PINGS_PER_DAY = 5;
const DAY = 24 * 3_600_000;

interface Claimed {
  ref: RunRef;
  check: AdoptedCheck;
  claimedAt: Date;
}

export async function runDueChecks(deps: CheckRunnerDeps, now: Date): Promise<{ ran: number }> {
  await announce(deps);
  const store = deps.qualityChecks;
  const staleBefore = new Date(now.getTime() - CHECK_RUN_STALE_MS);
  // One candidate per check: its newest slot. A run a dead process left behind is taken over unless a
  // newer slot is due, in which case it is closed as skipped (running both would judge, and post, twice).
  const candidates = new Map<number, { ref: ClaimRef; check: AdoptedCheck }>();
  const superseded: { ref: ClaimRef; check: AdoptedCheck }[] = [];
  for (const ref of await store.abandonedRuns(staleBefore, CHECKS_PER_PASS)) {
    const check = await store.check(ref.teamId, ref.checkId);
    if (check) candidates.set(check.id, { ref: { ...ref, nextSlotAt: check.nextSlotAt }, check });
  }
  for (const check of await store.dueChecks(now, CHECKS_PER_PASS)) {
    const due = dueSlot(check.schedule, check.timeZone, check.lastSlotAt, now);
    if (!due || (await store.isRunning(check.teamId, check.id, staleBefore))) continue;
    const older = candidates.get(check.id);
    if (older) superseded.push(older);
    const nextSlotAt = nextSlot(check.schedule, check.timeZone, due.slot);
    candidates.set(check.id, {
      ref: { teamId: check.teamId, checkId: check.id, slotAt: due.slot, nextSlotAt },
      check,
    });
  }
  const keyOf = (ref: RunRef) => `${ref.checkId}:${ref.slotAt.getTime()}`;
  const all = [...candidates.values(), ...superseded];
  const won = new Set(
    (
      await store.claimRuns(
        all.map((c) => c.ref),
        now,
        staleBefore,
      )
    ).map(keyOf),
  );
  for (const { ref, check } of superseded) {
    if (won.has(keyOf(ref))) await skipRun(deps, ref, check, now, 'skipped: a newer slot ran instead');
  }
  const claimed = [...candidates.values()]
    .filter(({ ref }) => won.has(keyOf(ref)))
    .map((item) => ({ ...item, claimedAt: now }));
  await runPerSource(claimed, (item) => asWorkspace(deps, item.ref.teamId, () => runOne(deps, item)));
  await announce(deps);
  return { ran: claimed.length };
}

/** Runs each source's checks RUNS_PER_SOURCE at a time, every source at once. */
async function runPerSource(items: Claimed[], run: (item: Claimed) => Promise<void>) {
  const bySource = new Map<string, Claimed[]>();
  for (const item of items) {
    bySource.set(item.check.sourceName, [...(bySource.get(item.check.sourceName) ?? []), item]);
  }
  const lanes = [...bySource.values()].flatMap((queue) =>
    Array.from({ length: RUNS_PER_SOURCE }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) await run(item);
    }),
  );
  await Promise.all(lanes);
}

async function skipRun(
  deps: CheckRunnerDeps,
  ref: RunRef,
  check: AdoptedCheck,
  startedAt: Date,
  why: string,
): Promise<void> {
  deps.metrics?.checkRun('skipped');
  await deps.qualityChecks.finishRun(
    ref,
    { result: { kind: 'error', observed: why }, alert: check.alert, action: 'none' },
    deps.checkClock(),
    startedAt,
  );
}

async function runOne(deps: CheckRunnerDeps, { ref, claimedAt }: Claimed): Promise<void> {
  // Read again: the check may have been paused or deleted while this run waited for its turn.
  const check = await deps.qualityChecks.check(ref.teamId, ref.checkId);
  if (!check) return;
  // A run that waited long behind others is restamped as it starts, so another process does not take it
  // for dead; one that starts soon after its claim keeps the claim's stamp (a commit saved per run).
  const now = deps.checkClock();
  const waitedLong = now.getTime() - claimedAt.getTime() > CHECK_RUN_STALE_MS / 4;
  if (waitedLong && !(await deps.qualityChecks.startRun(ref, claimedAt, now))) return;
  const startedAt = waitedLong ? now : claimedAt;
  if (check.state === 'paused') {
    await skipRun(deps, ref, check, startedAt, 'skipped: the check is paused');
    return;
  }
  if ((await deps.channelSources.sourceOf(check.teamId, check.channelId))?.sourceName !== check.sourceName) {
    await skipRun(
      deps,
      ref,
      check,
      startedAt,
      `skipped: the channel no longer uses the source ${check.sourceName}`,
    );
    return;
  }
  const result = await queryCheck(deps, check);
  deps.metrics?.checkRun(result.kind);
  // A run that could not query (source down, timeout) says nothing about the data: the alert state stays.
  const judged =
    result.kind === 'error'
      ? { state: check.alert, action: 'none' as const }
      : nextAlert(check.alert, result.kind === 'passed', ref.slotAt);
  // Snoozed from a failure post: the state moves on, but failures and flapping are not posted.
  const snoozed = (check.snoozedUntil?.getTime() ?? 0) > ref.slotAt.getTime();
  const action = snoozed && judged.action !== 'recovery' ? 'none' : judged.action;
  const finished = await deps.qualityChecks.finishRun(
    ref,
    { result, alert: judged.state, action },
    deps.checkClock(),
    startedAt,
  );
  deps.logger.info('check run', {
    teamId: ref.teamId,
    checkId: ref.checkId,
    result: result.kind,
    action,
    finished,
  });
}

async function queryCheck(deps: CheckRunnerDeps, check: AdoptedCheck): Promise<RunResult> {
  const source = deps.dataSources.get(check.sourceName);
  if (!source) return { kind: 'error', observed: `the source ${check.sourceName} is not configured` };
  try {
    const verdict = evaluateCheck(check.expectation, await source.query(check.sql));
    // What is posted is the verdict's words or one number; a number that is personal data (a card, a
    // phone) is masked like any data the bot shows.
    return { kind: verdict.passed ? 'passed' : 'failed', observed: maskText(verdict.observed) };
  } catch (error) {
    if (error instanceof ReadOnlyRefusal) return { kind: 'error', observed: `refused: ${error.reason}` };
    // A source's error message can quote the data (`invalid input syntax for type integer: "ana@…"`):
    // it goes to the bot's logs, the thread and the list get its kind only.
    deps.logger.warn('check query failed', { checkId: check.id, error: errorSummary(error) });
    if (error instanceof DataSourceError) {
      return { kind: 'error', observed: error.timedOut ? 'timed out' : 'the query failed on the source' };
    }
    return { kind: 'error', observed: 'the run failed' };
  }
}

/** Posts what finished runs must say: each post claimed first, one tried before looked up by its key. */
async function announce(deps: CheckRunnerDeps): Promise<void> {
  const now = deps.checkClock();
  // A claim on a post is stale sooner than a run: a post takes seconds, a query up to its timeout.
  const staleBefore = new Date(now.getTime() - ANNOUNCE_STALE_MS);
  for (const run of await deps.qualityChecks.unannounced(500)) {
    const claim = await deps.qualityChecks.claimAnnouncement(run, now, staleBefore);
    if (!claim) continue;
    const check = await deps.qualityChecks.check(run.teamId, run.checkId);
    if (!check || check.state === 'paused' || claim.attempts >= MAX_ANNOUNCE_ATTEMPTS) {
      if (check && claim.attempts >= MAX_ANNOUNCE_ATTEMPTS) {
        deps.logger.warn('gave up posting a check result', {
          checkId: run.checkId,
          attempts: claim.attempts,
        });
      }
      await deps.qualityChecks.markAnnounced(run, '');
      continue;
    }
    const key = `check-${run.checkId}-${run.slotAt.getTime()}`;
    try {
      const ts = await asWorkspace(deps, check.teamId, async () => {
        const earlier =
          claim.attempts > 0 ? await deps.slack.findPosted(check.channelId, key, check.threadTs) : undefined;
        return earlier ?? (await post(deps, check, run, key, now));
      });
      await deps.qualityChecks.markAnnounced(run, ts);
    } catch (error) {
      // The thread is gone for good (archived, bot removed): nothing to retry; the list still shows it.
      if (notInConversation(error)) await deps.qualityChecks.markAnnounced(run, '');
      else await deps.qualityChecks.releaseAnnouncement(run);
      deps.logger.warn('could not post a check result', { checkId: run.checkId, error: errorSummary(error) });
    }
  }
}

async function post(
  deps: CheckRunnerDeps,
  check: AdoptedCheck,
  run: RunRef & { action: 'failure' | 'recovery' | 'flapping'; observed: string },
  key: string,
  now: Date,
): Promise<string> {
  const slotText = `run of ${slackDate(run.slotAt.getTime())}`;
  if (run.action !== 'failure') {
    return deps.slack.postText(
      check.channelId,
      checkRunText(run.action, check, run.observed, slotText, undefined),
      check.threadTs,
      key,
    );
  }
  const owner = await qaPing(deps, check, now);
  const text = checkRunText('failure', check, run.observed, slotText, owner);
  return deps.slack.postBlocks(check.channelId, checkFailureMessage(text, run, {}), check.threadTs, key);
}

/**
 * The QA owner is pinged for a critical check's failure, at most MAX_QA_PINGS_PER_DAY times a day per
 * channel (however checks are deleted and adopted again); the failure is posted either way.
 */
async function qaPing(deps: CheckRunnerDeps, check: AdoptedCheck, now: Date): Promise<string | undefined> {
  if (check.severity !== 'critical') return undefined;
  const qa = (await deps.collaboration.effectiveOwners(check.teamId, check.channelId)).get('qa');
  if (!qa) return undefined;
  const store = deps.qualityChecks;
  const since = new Date(now.getTime() - DAY);
  if (!(await store.claimPing(check.teamId, check.channelId, now, since, MAX_QA_PINGS_PER_DAY)))
    return undefined;
  return qa.kind === 'user' ? `<@${qa.id}>` : `<!subteam^${qa.id}>`;
}
