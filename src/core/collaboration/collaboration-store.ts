import type { CollaborationRequest, CollaborationRole, OwnerAssignment, OwnerRef } from '../domain.js';

/** A request as the agent raises it: the stored request before it has an id, a status or a ping. */
export type NewCollaborationRequest = Pick<
  CollaborationRequest,
  'teamId' | 'taskId' | 'channelId' | 'threadTs' | 'role' | 'topic' | 'request' | 'reason' | 'owner'
>;

/** What a request's thread is told, each at most once. */
export type AnnouncementKind = 'ping' | 'guidance' | 'invite';

/** Owners per role and the collaboration requests the agent raised. Every method is scoped by team. */
export interface CollaborationStore {
  /** The owner of each role for this channel: the channel's own, else the workspace default. */
  effectiveOwners(teamId: string, channelId: string): Promise<Map<CollaborationRole, OwnerAssignment>>;
  /** `channelId` undefined sets the workspace default. */
  setOwner(
    teamId: string,
    channelId: string | undefined,
    role: CollaborationRole,
    owner: OwnerRef,
    setBy: string,
  ): Promise<void>;
  /** Returns false when there was nothing to clear. */
  clearOwner(teamId: string, channelId: string | undefined, role: CollaborationRole): Promise<boolean>;
  /**
   * Stores at most one request per task and role, whatever its status (done included): a repeat returns
   * the earlier one, `sameTopic` saying whether it was the same topic.
   */
  recordRequest(input: NewCollaborationRequest): Promise<{
    request: CollaborationRequest;
    created: boolean;
    sameTopic: boolean;
  }>;
  getRequest(teamId: string, requestId: number): Promise<CollaborationRequest | undefined>;
  /** Requests of a task whose ping (owner known) or guidance (no owner) is not confirmed posted yet. */
  unannounced(teamId: string, taskId: number): Promise<CollaborationRequest[]>;
  /** Not-done requests for a role that have no owner yet, oldest first. */
  unassigned(teamId: string, role: CollaborationRole): Promise<CollaborationRequest[]>;
  /** Gives an unassigned request its owner; false when it already had one. */
  assignOwner(teamId: string, requestId: number, owner: OwnerRef): Promise<boolean>;
  /**
   * Claims the right to post the ping, the "no owner yet" guidance or the "owner isn't here" invite
   * note: 'first' when nobody claimed it before,
   * 'unconfirmed' when an earlier run claimed it but never confirmed the post (it crashed, or the post
   * failed; one job per task at a time means that run is over), so the post may or may not be in the
   * thread; undefined when it was posted already.
   */
  claimAnnouncement(
    teamId: string,
    requestId: number,
    kind: AnnouncementKind,
  ): Promise<'first' | 'unconfirmed' | undefined>;
  /** The claimed post is in the thread (at `ts`): never post it again. */
  confirmAnnouncement(teamId: string, requestId: number, kind: AnnouncementKind, ts: string): Promise<void>;
  /**
   * Moves a request forward (open → acknowledged → done; open → done). Returns the updated request,
   * or the unchanged one when the move is not allowed (e.g. already done).
   */
  advance(
    teamId: string,
    requestId: number,
    to: 'acknowledged' | 'done',
    userId: string,
  ): Promise<{ request: CollaborationRequest; changed: boolean } | undefined>;
  /** Not-done requests of a channel, oldest first, with the total count. */
  openInChannel(
    teamId: string,
    channelId: string,
    limit: number,
  ): Promise<{ requests: CollaborationRequest[]; total: number }>;
}

/** The agent's request_collaboration tool call, validated. */
export interface CollaborationAsk {
  role: CollaborationRole;
  topic: string;
  request: string;
  reason: string;
}
