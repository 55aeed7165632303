import { digestDetails, digestParent } from '../../render/digest-messages.js';
import { NOT_IN_CONVERSATION_CODES, SlackError } from '../errors.js';
import { notInConversationText } from '../messages.js';
import type { Logger, SlackPort } from '../ports.js';
import { describe } from '../work-runner.js';
import { type DigestFacts, type DigestStore, type HighlightsWriter, isEmptyDigest } from './digest-facts.js';
import type { DueDigest, Schedule } from './schedule.js';

export interface DigestDeps {
  digests: DigestStore;
  slack: SlackPort;
  logger: Logger;
  highlights?: HighlightsWriter;
  /** DIGEST_TIME, and DIGEST_TIMEZONE or the workspace's zone. */
  defaultSchedule: Schedule;
  /** DIGEST_POST_EMPTY: post a scheduled digest even when there is nothing to report. */
  postWhenEmpty: boolean;
}

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
  const highlights = await writeHighlights(deps, facts);
  const ts = await deps.slack.postText(
    facts.channelId,
    digestParent(facts, dayLabel, highlights),
    undefined,
    key,
  );
  onParent(ts);
  const link = (channelId: string, messageTs: string, threadTs?: string) =>
    deps.slack.messageLink(channelId, messageTs, threadTs);
  for (const details of digestDetails(facts, link, facts.to)) {
    try {
      await deps.slack.postText(facts.channelId, details, ts);
    } catch (error) {
      deps.logger.warn('could not post part of a digest', {
        channelId: facts.channelId,
        error: describe(error),
      });
    }
  }
  return ts;
}

/** The small model's paragraph, or nothing: a digest never waits on or fails because of it. */
async function writeHighlights(deps: DigestDeps, facts: DigestFacts): Promise<string | undefined> {
  if (!deps.highlights) return undefined;
  try {
    const text = await deps.highlights.write(facts);
    return text.trim() || undefined;
  } catch (error) {
    deps.logger.warn('digest highlights failed; posting without them', { error: describe(error) });
    return undefined;
  }
}

/** `/data-engineer digest now`: the last 24 hours of this channel, posted now. Returns the reply. */
export async function postDigestNow(
  deps: DigestDeps,
  teamId: string,
  channelId: string,
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
  try {
    await postDigest(deps, facts, 'last 24 hours', () => undefined);
    return `Posted the digest for the last 24 hours in <#${channelId}>.`;
  } catch (error) {
    const code = error instanceof SlackError ? error.code : undefined;
    deps.logger.warn('could not post a digest', { teamId, channelId, error: describe(error) });
    if (code && NOT_IN_CONVERSATION_CODES.has(code)) return notInConversationText(code, channelId);
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
): Promise<'posted' | 'empty' | 'skipped' | 'failed'> {
  const key = `digest-${channelId}-${due.localDate}`;
  if (!deps.digests.claimDigestRun(teamId, channelId, due.localDate)) {
    // Claimed before: done, being posted, or left half-way by a process that died while posting.
    const stale = deps.digests.reclaimStaleDigestRun(
      teamId,
      channelId,
      due.localDate,
      Date.now() - STALE_CLAIM_MS,
    );
    if (!stale) return 'skipped';
    const posted = await deps.slack.findPosted(channelId, key).catch(() => undefined);
    if (posted) {
      deps.digests.finishDigestRun(teamId, channelId, due.localDate, { status: 'posted', parentTs: posted });
      return 'skipped';
    }
  }
  const facts = deps.digests.digestFacts(
    teamId,
    channelId,
    due.from.getTime(),
    due.scheduledAt.getTime(),
    DIGEST_LIST_LIMIT,
  );
  if (isEmptyDigest(facts) && !deps.postWhenEmpty) {
    deps.digests.finishDigestRun(teamId, channelId, due.localDate, { status: 'empty' });
    return 'empty';
  }
  let posted = false;
  try {
    await postDigest(
      deps,
      facts,
      dayLabel(due.scheduledAt, timeZone),
      (ts) => {
        posted = true;
        deps.digests.finishDigestRun(teamId, channelId, due.localDate, { status: 'posted', parentTs: ts });
      },
      key,
    );
    deps.logger.info('digest posted', { teamId, channelId, localDate: due.localDate });
    return 'posted';
  } catch (error) {
    deps.logger.warn('scheduled digest failed', { teamId, channelId, error: describe(error) });
    // Nothing was posted: let a later look the same day (e.g. after a restart) try again.
    if (!posted) deps.digests.releaseDigestRun(teamId, channelId, due.localDate);
    return 'failed';
  }
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
