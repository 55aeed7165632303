import type { OwnerRef } from './model.js';
import type { Logger, SlackPort } from './ports.js';
import { describe } from './work-runner.js';

/**
 * Who people are, who is in which group and who is in which conversation, read from Slack and kept
 * for a short while: a digest naming 100 people, or a Home tab listing 10 requests, costs each lookup
 * once per TTL, not once per line. Entries are bounded (oldest dropped first) and failures are never
 * cached, so the next look asks Slack again.
 */

/** What a name falls back to when Slack cannot say: plain text, never a mention. */
export const NEUTRAL_NAME = 'a teammate';

export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
    // Maps iterate in insertion order: the first keys are the oldest.
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}

const NAME_TTL_MS = 10 * 60_000;
/** Memberships decide who may see or close what: kept briefly, so a removal takes effect soon. */
const MEMBERSHIP_TTL_MS = 60_000;

export class PeopleDirectory {
  private readonly names: TtlCache<string, Promise<string>>;
  private readonly groups: TtlCache<string, Promise<Set<string>>>;
  private readonly conversations: TtlCache<string, Promise<Set<string>>>;

  constructor(
    private readonly slack: SlackPort,
    private readonly logger: Logger,
    now: () => number = Date.now,
  ) {
    this.names = new TtlCache(2_000, NAME_TTL_MS, now);
    this.groups = new TtlCache(200, MEMBERSHIP_TTL_MS, now);
    this.conversations = new TtlCache(500, MEMBERSHIP_TTL_MS, now);
  }

  /** A person's display name as plain text; NEUTRAL_NAME when Slack does not answer. */
  nameOf(userId: string): Promise<string> {
    return this.shared(this.names, userId, async () => {
      const user = await this.slack.getUser(userId);
      return user?.displayName ?? NEUTRAL_NAME;
    }).catch((error: unknown) => {
      this.logger.warn('could not look up a display name', { error: describe(error) });
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
    const members = await this.shared(
      this.groups,
      groupId,
      async () => new Set(await this.slack.usergroupMembers(groupId)),
    );
    return members.has(userId);
  }

  /** Whether a person is in a conversation (channel, private channel, DM). Throws SlackError. */
  async inConversation(channelId: string, userId: string): Promise<boolean> {
    return (await this.membersOf(channelId)).has(userId);
  }

  /**
   * Whether an owner can read a conversation: the person is in it, or someone of the group is. Asks
   * Slack afresh (pings are rare), so an owner invited a moment ago is pinged on the next reply.
   */
  async ownerCanRead(channelId: string, owner: OwnerRef): Promise<boolean> {
    this.conversations.delete(channelId);
    const members = await this.membersOf(channelId);
    if (owner.kind === 'user') return members.has(owner.id);
    const group = await this.shared(
      this.groups,
      owner.id,
      async () => new Set(await this.slack.usergroupMembers(owner.id)),
    );
    return [...group].some((id) => members.has(id));
  }

  private membersOf(channelId: string): Promise<Set<string>> {
    return this.shared(
      this.conversations,
      channelId,
      async () => new Set(await this.slack.conversationMembers(channelId)),
    );
  }

  /** One lookup in flight per key; a failed one is dropped so the next call asks again. */
  private shared<V>(cache: TtlCache<string, Promise<V>>, key: string, load: () => Promise<V>): Promise<V> {
    const cached = cache.get(key);
    if (cached) return cached;
    const loading = load();
    cache.set(key, loading);
    loading.catch(() => cache.delete(key));
    return loading;
  }
}
