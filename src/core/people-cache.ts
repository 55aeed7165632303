/** The caches behind PeopleDirectory (people.ts): bounded, expiring, and member lists read lazily. */

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

/**
 * Pages read per member list at most (200 a page): a huge channel, or a cursor that never ends,
 * costs a bounded number of calls and answers "unknown" rather than looping.
 */
export const MAX_PAGES = 25;

/**
 * A conversation's member list, read page by page only as far as a question needs: "is one of these
 * people here?" stops at the page that answers it. Pages already read answer later questions; calls
 * run one at a time, so two questions never read the same page twice.
 */
export class MemberScan {
  readonly members = new Set<string>();
  private cursor: string | undefined;
  private readonly seenCursors = new Set<string>();
  private pages = 0;
  /** 'complete': every member is known; 'cut': stopped at the page cap or a repeated cursor. */
  private state: 'reading' | 'complete' | 'cut' = 'reading';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly readPage: (cursor?: string) => Promise<MemberPage>) {}

  /** True when one of `wanted` is a member, false when none is, undefined when the list was cut. */
  anyOf(wanted: ReadonlySet<string>): Promise<boolean | undefined> {
    const next = this.queue.then(() => this.find(wanted));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async find(wanted: ReadonlySet<string>): Promise<boolean | undefined> {
    for (;;) {
      if ([...wanted].some((id) => this.members.has(id))) return true;
      if (this.state === 'complete') return false;
      if (this.state === 'cut') return undefined;
      const page = await this.readPage(this.cursor);
      this.pages += 1;
      for (const id of page.members) this.members.add(id);
      const next = page.nextCursor || undefined;
      if (!next) this.state = 'complete';
      else if (this.seenCursors.has(next) || this.pages >= MAX_PAGES) this.state = 'cut';
      else this.seenCursors.add(next);
      this.cursor = next;
    }
  }
}

/** One page of a member list (conversations.members or users.conversations). */
export interface MemberPage {
  members: string[];
  /** Empty or absent on the last page. */
  nextCursor?: string;
}
