import { ROLE_LABELS } from '../../render/collaboration-messages.js';
import { digestDetails, digestParent, type NameOf } from '../../render/digest-messages.js';
import { errorSummary, notInConversation, SlackError } from '../errors.js';
import type { Logger } from '../logger.js';
import { notInConversationText } from '../messages.js';
import { NEUTRAL_NAME, type PeopleDirectory } from '../people.js';
import type { MessageLinks, ThreadWriter } from '../slack-roles.js';
import {
  type DigestFacts,
  type DigestStore,
  type HighlightsWriter,
  hasNews,
  isEmptyDigest,
  standingFingerprint,
} from './digest-facts.js';
import type { DueDigest, Schedule } from './schedule.js';

export interface DigestDeps {
  digests: DigestStore;
  /** Posts once per key: a post a crash interrupted is found, not made twice. */
  slack: Pick<ThreadWriter, 'postText' | 'findPosted'> & MessageLinks;
  logger: Logger;
  highlights?: HighlightsWriter;
  /** DIGEST_TIME, and DIGEST_TIMEZONE or the workspace's zone. */
  defaultSchedule: Schedule;
  /** DIGEST_POST_EMPTY: post a scheduled digest even when there is nothing to report. */
  postWhenEmpty: boolean;
  /** Display names (cached): a digest names people, it never mentions them. */
  people: PeopleDirectory;
}

/** A channel whose only content is old open items is reminded of them at most this often. */
const REMINDER_EVERY_DAYS = 7;

/** Items per list in a digest; the rest is "and N more". */
export const DIGEST_LIST_LIMIT = 15;

const DAY = 24 * 3_600_000;

/** A claim still `posting` after this long belongs to a process that died while posting. */
const STALE_CLAIM_MS = 10 * 60_000;

/**
 * Posts a digest: the parent with the headline figures, then the details in its thread. The parent's
 * ts is reported as soon as it exists (`onParent`), so a failure in the details never reposts it.
 */
async function postDigest(
  deps: DigestDeps,
  facts: DigestFacts,
  dayLabel: string,
  onParent: (ts: string) => void,
  key?: string,
): Promise<string> {
  const [parent, ...details] = await composeDigest(deps, facts, dayLabel);
  const ts = await deps.slack.postText(facts.channelId, parent ?? '', undefined, key);
  onParent(ts);
  for (const part of details) {
    try {
      await deps.slack.postText(facts.channelId, part, ts);
    } catch (error) {
      deps.logger.warn('could not post part of a digest', {
        channelId: facts.channelId,
        error: errorSummary(error),
      });
    }
  }
  return ts;
}

/** The parent message, then the detail messages, with people and groups named in plain text. */
async function composeDigest(
  deps: DigestDeps,
  facts: DigestFacts,
  dayLabel: string,
  options: { highlights: boolean } = { highlights: true },
): Promise<string[]> {
  const highlights = options.highlights ? await writeHighlights(deps, facts) : undefined;
  const link = (channelId: string, messageTs: string, threadTs?: string) =>
    deps.slack.messageLink(channelId, messageTs, threadTs);
  const nameOf = await namesIn(deps, facts);
  return [digestParent(facts, dayLabel, highlights), ...digestDetails(facts, link, facts.to, nameOf)];
}

/** Looks up every person the digest names (once each, through the cache); groups go by their role. */
async function namesIn(deps: DigestDeps, facts: DigestFacts): Promise<NameOf> {
  const userIds = [
    ...facts.waiting.items.map((task) => task.requesterId),
    ...facts.openRequests.items.flatMap((r) => (r.owner?.kind === 'user' ? [r.owner.id] : [])),
  ];
  const names = await deps.people.namesOf(userIds);
  return (who) =>
    who.kind === 'group'
      ? `the ${who.role ? `${ROLE_LABELS[who.role]} ` : ''}owner group`
      : (names.get(who.id) ?? NEUTRAL_NAME);
}

/** The small model's paragraph, or nothing: a digest never waits on or fails because of it. */
async function writeHighlights(deps: DigestDeps, facts: DigestFacts): Promise<string | undefined> {
  if (!deps.highlights) return undefined;
  try {
    const text = await deps.highlights.write(facts);
    return text.trim() || undefined;
  } catch (error) {
    deps.logger.warn('digest highlights failed; posting without them', { error: errorSummary(error) });
    return undefined;
  }
}

/**
 * `/data-engineer digest now`: the last 24 hours of this channel. Shown only to the person who asked
 * (returned as their private reply), so running it again and again pages no one; posted in the channel
 * only with `post` (admins, `--post`).
 */
export async function postDigestNow(
  deps: DigestDeps,
  teamId: string,
  channelId: string,
  options: { post: boolean } = { post: false },
  now = new Date(),
): Promise<string> {
  const facts = deps.digests.digestFacts(
    teamId,
    channelId,
    now.getTime() - DAY,
    now.getTime(),
    DIGEST_LIST_LIMIT,
  );
  if (isEmptyDigest(facts)) {
    return `Nothing to report in <#${channelId}> for the last 24 hours: no tasks, no questions waiting and no open requests.`;
  }
  if (!options.post) {
    // No model paragraph: anyone may run this as often as they like, and each would cost a call.
    const parts = await composeDigest(deps, facts, 'last 24 hours (only you can see this)', {
      highlights: false,
    });
    return parts.join('\n\n');
  }
  try {
    await postDigest(deps, facts, 'last 24 hours', () => undefined);
    return `Posted the digest for the last 24 hours in <#${channelId}>.`;
  } catch (error) {
    const code = error instanceof SlackError ? error.code : undefined;
    deps.logger.warn('could not post a digest', { teamId, channelId, error: errorSummary(error) });
    const notIn = notInConversation(error);
    if (notIn) return notInConversationText(notIn, channelId);
    return `I couldn't post the digest${code ? ` (Slack said \`${code}\`)` : ''}. Please try again in a moment.`;
  }
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
): Promise<'posted' | 'empty' | 'unchanged' | 'skipped' | 'failed'> {
  const key = `digest-${channelId}-${due.localDate}`;
  const reclaimed = !deps.digests.claimDigestRun(teamId, channelId, due.localDate);
  if (reclaimed) {
    // Claimed before: done, being posted, or left half-way by a process that died while posting.
    const stale = deps.digests.reclaimStaleDigestRun(
      teamId,
      channelId,
      due.localDate,
      Date.now() - STALE_CLAIM_MS,
    );
    if (!stale) return 'skipped';
  }
  const facts = deps.digests.digestFacts(
    teamId,
    channelId,
    due.from.getTime(),
    due.scheduledAt.getTime(),
    DIGEST_LIST_LIMIT,
  );
  if (reclaimed) {
    const posted = await deps.slack.findPosted(channelId, key).catch(() => undefined);
    if (posted) {
      // The dead process posted it: record it as posted, with what it showed (near enough: the same
      // day's standing items), so tomorrow's "changed since the last digest" compares against it.
      deps.digests.finishDigestRun(teamId, channelId, due.localDate, {
        status: 'posted',
        parentTs: posted,
        fingerprint: standingFingerprint(facts),
      });
      return 'skipped';
    }
  }
  if (isEmptyDigest(facts) && !deps.postWhenEmpty) {
    deps.digests.finishDigestRun(teamId, channelId, due.localDate, { status: 'empty' });
    return 'empty';
  }
  const fingerprint = standingFingerprint(facts);
  const staleness = isEmptyDigest(facts) ? 'new' : sinceLastDigest(deps, teamId, channelId, facts, due);
  if (staleness === 'unchanged') {
    deps.digests.finishDigestRun(teamId, channelId, due.localDate, { status: 'unchanged' });
    return 'unchanged';
  }
  const label = `${dayLabel(due.scheduledAt, timeZone)}${staleness === 'reminder' ? ' · weekly reminder: nothing new, these are still open' : ''}`;
  let posted = false;
  try {
    await postDigest(
      deps,
      facts,
      label,
      (ts) => {
        posted = true;
        deps.digests.finishDigestRun(teamId, channelId, due.localDate, {
          status: 'posted',
          parentTs: ts,
          fingerprint,
        });
      },
      key,
    );
    deps.logger.info('digest posted', { teamId, channelId, localDate: due.localDate });
    return 'posted';
  } catch (error) {
    deps.logger.warn('scheduled digest failed', { teamId, channelId, error: errorSummary(error) });
    // Nothing was posted: let a later look the same day (e.g. after a restart) try again.
    if (!posted) deps.digests.releaseDigestRun(teamId, channelId, due.localDate);
    return 'failed';
  }
}

/**
 * Whether the channel has something new since its last posted digest: activity in the period, or a
 * change in what is still waiting or open. Nothing new: a reminder when the last digest is a week old
 * or more, else nothing (a channel of old open items is reminded at most once a week).
 */
function sinceLastDigest(
  deps: DigestDeps,
  teamId: string,
  channelId: string,
  facts: DigestFacts,
  due: DueDigest,
): 'new' | 'reminder' | 'unchanged' {
  if (hasNews(facts)) return 'new';
  const last = deps.digests.lastPostedDigest(teamId, channelId);
  if (!last || last.fingerprint !== standingFingerprint(facts)) return 'new';
  return daysBetween(last.localDate, due.localDate) >= REMINDER_EVERY_DAYS ? 'reminder' : 'unchanged';
}

/** Whole calendar days from one YYYY-MM-DD to another. */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
}

/** "Thu 26 Nov", in the channel's zone. */
function dayLabel(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
  }).format(at);
}
