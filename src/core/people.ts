import { inertName } from '../render/names.js';
import type { OwnerRef } from './domain.js';
import { errorSummary, SlackError } from './errors.js';
import type { Logger } from './logger.js';
import { MemberScan, TtlCache } from './people-cache.js';
import type { UserDirectory } from './slack-roles.js';

/**
 * Who people are, who is in which group and who is in which conversation, read from Slack and kept
 * for a short while: a digest naming 100 people, or a Home tab listing 10 requests, costs each lookup
 * once per TTL, not once per line. Entries are bounded (oldest dropped first) and failures are never
 * cached, so the next look asks Slack again.
 */

/** What a name falls back to when Slack cannot say: plain text, never a mention. */
export const NEUTRAL_NAME = 'a teammate';

const NAME_TTL_MS = 10 * 60_000;
/** Memberships decide who may see or close what: kept briefly, so a removal takes effect soon. */
const MEMBERSHIP_TTL_MS = 60_000;
/** The scope each look-up needs, for the one loud log line when an install lacks it. */
const SCOPES_FOR: Record<string, string> = {
  'conversations.members': 'channels:read, groups:read, im:read and mpim:read',
  'users.conversations': 'channels:read, groups:read, im:read and mpim:read',
  'usergroups.users.list': 'usergroups:read',
};

export class PeopleDirectory {
  private readonly names: TtlCache<string, Promise<string>>;
  private readonly groups: TtlCache<string, Promise<Set<string>>>;
  private readonly conversations: TtlCache<string, MemberScan>;
  private readonly userConversations: TtlCache<string, Promise<Set<string>>>;
  private readonly scopeWarnings = new Set<string>();

  constructor(
    private readonly slack: UserDirectory,
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    this.names = new TtlCache(2_000, NAME_TTL_MS, now);
    this.groups = new TtlCache(200, MEMBERSHIP_TTL_MS, now);
    this.conversations = new TtlCache(500, MEMBERSHIP_TTL_MS, now);
    this.userConversations = new TtlCache(500, MEMBERSHIP_TTL_MS, now);
  }

  /** A person's display name as inert plain text (no links, no markup); NEUTRAL_NAME when unknown. */
  nameOf(userId: string): Promise<string> {
    return this.shared(this.names, userId, async () => {
      const user = await this.slack.getUser(userId);
      return (user?.displayName && inertName(user.displayName)) || NEUTRAL_NAME;
    }).catch((error: unknown) => {
      this.logger.warn('could not look up a display name', { error: errorSummary(error) });
      return NEUTRAL_NAME;
    });
  }

  /** Names for many people at once (each looked up at most once). */
  async namesOf(userIds: Iterable<string>): Promise<Map<string, string>> {
    const unique = [...new Set(userIds)];
    const names = await Promise.all(unique.map((id) => this.nameOf(id)));
    return new Map(unique.map((id, i) => [id, names[i] ?? NEUTRAL_NAME]));
  }

  /** Whether a person is in a user group. Throws SlackError when Slack cannot say. */
  async inGroup(groupId: string, userId: string): Promise<boolean> {
    return (await this.groupMembers(groupId)).has(userId);
  }

  /**
   * Whether an owner can read a conversation: the person is in it, or someone of the group is.
   * Undefined when Slack's member list was too long or looped (over MAX_PAGES pages); throws
   * SlackError when Slack fails. Pages already read are reused until `forgetConversation`.
   */
  async ownerCanRead(channelId: string, owner: OwnerRef): Promise<boolean | undefined> {
    const wanted = owner.kind === 'user' ? new Set([owner.id]) : await this.groupMembers(owner.id);
    let scan = this.conversations.get(channelId);
    if (!scan) {
      scan = new MemberScan((cursor) =>
        this.loudAboutScopes('conversations.members', () =>
          this.slack.conversationMembersPage(channelId, cursor),
        ),
      );
      this.conversations.set(channelId, scan);
    }
    const found = scan;
    return found.anyOf(wanted).catch((error: unknown) => {
      if (this.conversations.get(channelId) === found) this.conversations.delete(channelId);
      throw error;
    });
  }

  /**
   * Drops what is known about a conversation's members, so the next question reads Slack afresh: an
   * owner invited a moment ago is pinged on the next reply. Called once per round of pings.
   */
  forgetConversation(channelId: string): void {
    this.conversations.delete(channelId);
  }

  /**
   * The conversations a person is in that the bot can see (users.conversations, one paginated read
   * per person per TTL, at most MAX_PAGES pages). A cut list is still true for what it holds, so it
   * only ever hides, never shows, too much. Throws SlackError.
   */
  conversationsOf(userId: string): Promise<Set<string>> {
    return this.shared(this.userConversations, userId, async () => {
      const scan = new MemberScan((cursor) =>
        this.loudAboutScopes('users.conversations', () => this.slack.userConversationsPage(userId, cursor)),
      );
      await scan.anyOf(new Set());
      return scan.members;
    });
  }

  private groupMembers(groupId: string): Promise<Set<string>> {
    return this.shared(this.groups, groupId, async () => {
      const members = await this.loudAboutScopes('usergroups.users.list', () =>
        this.slack.usergroupMembers(groupId),
      );
      return new Set(members);
    });
  }

  /**
   * An install that predates a scope answers `missing_scope` to every look-up: said once, loudly,
   * with the scope to add, instead of a warning per request that nobody reads.
   */
  private async loudAboutScopes<T>(method: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SlackError && error.kind === 'missing_scope' && !this.scopeWarnings.has(method)) {
        this.scopeWarnings.add(method);
        this.logger.error(
          `Slack refused ${method} with missing_scope: add the ${SCOPES_FOR[method] ?? 'needed'} bot scope(s) in the app's settings (see manifest.yml) and reinstall the app. Until then owners are not pinged and membership checks fail closed.`,
          { method },
        );
      }
      throw error;
    }
  }

  /** One lookup in flight per key; a failed one is dropped so the next call asks again. */
  private shared<V>(cache: TtlCache<string, Promise<V>>, key: string, load: () => Promise<V>): Promise<V> {
    const cached = cache.get(key);
    // biome-ignore lint/nursery/noMisusedPromises: a cached promise or none (undefined), not a value to await
    if (cached) return cached;
    const loading = load();
    cache.set(key, loading);
    loading.catch(() => cache.delete(key));
    return loading;
  }
}
