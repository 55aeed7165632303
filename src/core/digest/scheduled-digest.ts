import { digestDayLabel } from '../../render/digest-messages.js';
import { errorSummary } from '../errors.js';
import { type DigestFacts, hasNews, isEmptyDigest, standingFingerprint } from './digest-facts.js';
import { DIGEST_LIST_LIMIT, type DigestDeps, postDigest } from './post-digest.js';
import type { DueDigest } from './schedule.js';

/** A channel whose only content is old open items is reminded of them at most this often. */
const REMINDER_EVERY_DAYS = 7;

const DAY = 24 * 3_600_000;

/** A claim still `posting` after this long belongs to a process that died while posting. */
const STALE_CLAIM_MS = 10 * 60_000;

type Outcome = 'posted' | 'empty' | 'unchanged' | 'skipped' | 'failed';

/** One channel's digest for one local day. */
interface DigestDay {
  teamId: string;
  channelId: string;
  due: DueDigest;
  /** Message metadata key of the digest's parent post, so a crash never posts it twice. */
  key: string;
}

/**
 * The scheduled digest of one channel for one local day, at most once: the day is claimed in SQLite
 * before anything is posted, so a second instance or a restart skips it.
 */
export async function postScheduledDigest(
  deps: DigestDeps,
  teamId: string,
  channelId: string,
  due: DueDigest,
  timeZone: string,
): Promise<Outcome> {
  const day: DigestDay = { teamId, channelId, due, key: `digest-${channelId}-${due.localDate}` };
  const claim = await claimDay(deps, day);
  if (claim === 'taken') return 'skipped';
  const facts = await deps.digests.digestFacts(
    teamId,
    channelId,
    due.from.getTime(),
    due.scheduledAt.getTime(),
    DIGEST_LIST_LIMIT,
  );
  if (claim === 'reclaimed' && (await postedBefore(deps, day, facts))) return 'skipped';
  if (isEmptyDigest(facts) && !deps.postWhenEmpty) {
    await deps.digests.finishDigestRun(teamId, channelId, due.localDate, { status: 'empty' });
    return 'empty';
  }
  const staleness = isEmptyDigest(facts) ? 'new' : await sinceLastDigest(deps, teamId, channelId, facts, due);
  if (staleness === 'unchanged') {
    await deps.digests.finishDigestRun(teamId, channelId, due.localDate, { status: 'unchanged' });
    return 'unchanged';
  }
  return publish(deps, day, facts, digestDayLabel(due.scheduledAt, timeZone, staleness === 'reminder'));
}

/**
 * Claims the day: 'claimed' when nobody had, 'reclaimed' when a process died while posting it (its
 * claim went stale), 'taken' when it is done or being posted.
 */
async function claimDay(
  deps: DigestDeps,
  { teamId, channelId, due }: DigestDay,
): Promise<'claimed' | 'reclaimed' | 'taken'> {
  if (await deps.digests.claimDigestRun(teamId, channelId, due.localDate)) return 'claimed';
  const stale = await deps.digests.reclaimStaleDigestRun(
    teamId,
    channelId,
    due.localDate,
    Date.now() - STALE_CLAIM_MS,
  );
  return stale ? 'reclaimed' : 'taken';
}

/**
 * A reclaimed day whose parent the dead process did post: recorded as posted, with what it showed
 * (near enough: the same day's standing items), so tomorrow's "changed since the last digest"
 * compares against it.
 */
async function postedBefore(deps: DigestDeps, day: DigestDay, facts: DigestFacts): Promise<boolean> {
  const posted = await deps.slack.findPosted(day.channelId, day.key).catch(() => undefined);
  if (!posted) return false;
  await deps.digests.finishDigestRun(day.teamId, day.channelId, day.due.localDate, {
    status: 'posted',
    parentTs: posted,
    fingerprint: standingFingerprint(facts),
  });
  return true;
}

async function publish(
  deps: DigestDeps,
  day: DigestDay,
  facts: DigestFacts,
  label: string,
): Promise<Outcome> {
  const { teamId, channelId, due } = day;
  const fingerprint = standingFingerprint(facts);
  let posted = false;
  try {
    await postDigest(
      deps,
      facts,
      label,
      async (ts) => {
        posted = true;
        await deps.digests.finishDigestRun(teamId, channelId, due.localDate, {
          status: 'posted',
          parentTs: ts,
          fingerprint,
        });
      },
      day.key,
    );
    deps.logger.info('digest posted', { teamId, channelId, localDate: due.localDate });
    return 'posted';
  } catch (error) {
    deps.logger.warn('scheduled digest failed', { teamId, channelId, error: errorSummary(error) });
    // Nothing was posted: let a later look the same day (e.g. after a restart) try again.
    if (!posted) await deps.digests.releaseDigestRun(teamId, channelId, due.localDate);
    return 'failed';
  }
}

/**
 * Whether the channel has something new since its last posted digest: activity in the period, or a
 * change in what is still waiting or open. Nothing new: a reminder when the last digest is a week old
 * or more, else nothing (a channel of old open items is reminded at most once a week).
 */
async function sinceLastDigest(
  deps: DigestDeps,
  teamId: string,
  channelId: string,
  facts: DigestFacts,
  due: DueDigest,
): Promise<'new' | 'reminder' | 'unchanged'> {
  if (hasNews(facts)) return 'new';
  const last = await deps.digests.lastPostedDigest(teamId, channelId);
  if (!last || last.fingerprint !== standingFingerprint(facts)) return 'new';
  return daysBetween(last.localDate, due.localDate) >= REMINDER_EVERY_DAYS ? 'reminder' : 'unchanged';
}

/** Whole calendar days from one YYYY-MM-DD to another. */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
}
