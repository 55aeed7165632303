import { ROLE_LABELS } from '../../render/collaboration-messages.js';
import {
  digestDetails,
  digestNotPostedText,
  digestParent,
  digestPostedText,
  type NameOf,
  nothingToReportText,
  ownerGroupName,
} from '../../render/digest-messages.js';
import { errorSummary, notInConversation, SlackError } from '../errors.js';
import type { Logger } from '../logger.js';
import { notInConversationText } from '../messages.js';
import type { Metrics } from '../metrics.js';
import { NEUTRAL_NAME, type PeopleDirectory } from '../people.js';
import type { MessageLinks, ThreadWriter } from '../slack-roles.js';
import { type DigestFacts, type DigestStore, type HighlightsWriter, isEmptyDigest } from './digest-facts.js';
import type { Schedule } from './schedule.js';

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
  /** Scheduled digests by outcome, for /metrics (absent: not counted). */
  metrics?: Pick<Metrics, 'digestRun'>;
}

/** Items per list in a digest; the rest is "and N more". */
export const DIGEST_LIST_LIMIT = 15;

const DAY = 24 * 3_600_000;

/**
 * Posts a digest: the parent with the headline figures, then the details in its thread. The parent's
 * ts is reported as soon as it exists (`onParent`), so a failure in the details never reposts it.
 */
export async function postDigest(
  deps: DigestDeps,
  facts: DigestFacts,
  dayLabel: string,
  onParent: (ts: string) => Promise<void>,
  key?: string,
): Promise<string> {
  const [parent, ...details] = await composeDigest(deps, facts, dayLabel);
  const ts = await deps.slack.postText(facts.channelId, parent ?? '', undefined, key);
  await onParent(ts);
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
      ? ownerGroupName(who.role ? ROLE_LABELS[who.role] : undefined)
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
  const facts = await deps.digests.digestFacts(
    teamId,
    channelId,
    now.getTime() - DAY,
    now.getTime(),
    DIGEST_LIST_LIMIT,
  );
  if (isEmptyDigest(facts)) {
    return nothingToReportText(channelId);
  }
  if (!options.post) {
    // No model paragraph: anyone may run this as often as they like, and each would cost a call.
    const parts = await composeDigest(deps, facts, 'last 24 hours (only you can see this)', {
      highlights: false,
    });
    return parts.join('\n\n');
  }
  try {
    await postDigest(deps, facts, 'last 24 hours', async () => undefined);
    return digestPostedText(channelId);
  } catch (error) {
    const code = error instanceof SlackError ? error.code : undefined;
    deps.logger.warn('could not post a digest', { teamId, channelId, error: errorSummary(error) });
    const notIn = notInConversation(error);
    if (notIn) return notInConversationText(notIn, channelId);
    return digestNotPostedText(code);
  }
}
