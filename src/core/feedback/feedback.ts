import type { PeopleDirectory } from '../people.js';

/**
 * Feedback on answers: 👍/👎 under each final answer, one vote per person per answer, changeable, with
 * an optional note on what was wrong after a 👎. Who may vote: the people in the answer's channel.
 */

export type Vote = 'up' | 'down';

/** How often one person may change their vote on one answer: repeated clicks write nothing more. */
export const MAX_VOTE_CHANGES = 5;
/** The longest note kept (the form's own limit, checked again here). */
export const MAX_COMMENT_CHARS = 1_000;

export interface FeedbackCounts {
  up: number;
  down: number;
}

export type VoteWrite = 'stored' | 'changed' | 'unchanged' | 'too_many_changes';

export interface FeedbackStore {
  /** The task of assistant turn `turnId`, if it is an answer of this workspace in `channelId`. */
  answerIn(teamId: string, channelId: string, turnId: number): Promise<{ taskId: number } | undefined>;
  /** Stores a person's vote, or changes it (at most MAX_VOTE_CHANGES times). */
  vote(
    teamId: string,
    answer: { turnId: number; taskId: number; channelId: string },
    userId: string,
    vote: Vote,
  ): Promise<VoteWrite>;
  /** Keeps the note of a person's 👎 on an answer; false when they have no 👎 on it. */
  comment(teamId: string, turnId: number, userId: string, text: string): Promise<boolean>;
  /** Votes on this channel's answers cast or changed since `since` (Unix ms). */
  feedbackCounts(teamId: string, channelId: string, since: number): Promise<FeedbackCounts>;
}

export interface FeedbackDeps {
  feedback: FeedbackStore;
  people: Pick<PeopleDirectory, 'ownerCanRead' | 'conversationsOf'>;
}

export interface VoteClick {
  teamId: string;
  channelId: string;
  userId: string;
  turnId: number;
  vote: Vote;
}

export type VoteOutcome =
  | { kind: 'recorded'; vote: Vote; changed: boolean }
  | { kind: 'unchanged'; vote: Vote }
  | { kind: 'too_many_changes' }
  | { kind: 'not_a_member' }
  | { kind: 'unknown_membership' }
  | { kind: 'gone' };

export const FEEDBACK_TEXT = {
  up: 'Thanks for the 👍. It helps to know what works.',
  down: 'Thanks for the 👎. If you like, say what was wrong in the form (optional).',
  changedUp: 'Changed your vote on this answer to 👍.',
  changedDown: 'Changed your vote on this answer to 👎.',
  unchanged: 'Your vote on this answer is already counted.',
  tooManyChanges: 'Your vote on this answer has changed too often; it stays as it is.',
  notAMember: 'Only people in this channel can rate its answers.',
  unknownMembership: "I couldn't check that you are in this channel just now; please try again in a minute.",
  gone: 'This answer is no longer stored, so it cannot be rated.',
  commentSaved: 'Thanks, your note was saved with your 👎.',
} as const;

/** A click on 👍/👎: checks who and what, then stores the vote. */
export async function recordVote(deps: FeedbackDeps, click: VoteClick): Promise<VoteOutcome> {
  const answer = await deps.feedback.answerIn(click.teamId, click.channelId, click.turnId);
  if (!answer) return { kind: 'gone' };
  // Seeing the message is not enough (a public channel can be previewed): only members vote. When
  // Slack cannot say, the vote is refused rather than counted: fail closed.
  const member = await isMember(deps.people, click).catch(() => undefined);
  if (member === undefined) return { kind: 'unknown_membership' };
  if (!member) return { kind: 'not_a_member' };
  const written = await deps.feedback.vote(
    click.teamId,
    { turnId: click.turnId, taskId: answer.taskId, channelId: click.channelId },
    click.userId,
    click.vote,
  );
  if (written === 'unchanged') return { kind: 'unchanged', vote: click.vote };
  if (written === 'too_many_changes') return { kind: 'too_many_changes' };
  return { kind: 'recorded', vote: click.vote, changed: written === 'changed' };
}

/**
 * Whether the voter is in the answer's channel: the channel's member list, or, when that list is too
 * long to read whole, the voter's own conversations (each list, when cut, only ever hides a member).
 */
async function isMember(people: FeedbackDeps['people'], click: VoteClick): Promise<boolean | undefined> {
  const inChannel = await people.ownerCanRead(click.channelId, { kind: 'user', id: click.userId });
  if (inChannel !== undefined) return inChannel;
  if ((await people.conversationsOf(click.userId)).has(click.channelId)) return true;
  return undefined;
}

/** What the voter is told privately. */
export function voteOutcomeText(outcome: VoteOutcome): string {
  switch (outcome.kind) {
    case 'recorded':
      if (outcome.changed) return outcome.vote === 'up' ? FEEDBACK_TEXT.changedUp : FEEDBACK_TEXT.changedDown;
      return outcome.vote === 'up' ? FEEDBACK_TEXT.up : FEEDBACK_TEXT.down;
    case 'unchanged':
      return FEEDBACK_TEXT.unchanged;
    case 'too_many_changes':
      return FEEDBACK_TEXT.tooManyChanges;
    case 'not_a_member':
      return FEEDBACK_TEXT.notAMember;
    case 'unknown_membership':
      return FEEDBACK_TEXT.unknownMembership;
    case 'gone':
      return FEEDBACK_TEXT.gone;
  }
}
