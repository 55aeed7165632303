import { describe, expect, it } from 'vitest';
import { NEUTRAL_NAME, PeopleDirectory } from '../../src/core/people.js';
import { MAX_PAGES, TtlCache } from '../../src/core/people-cache.js';
import type { SlackUserInfo, UserDirectory } from '../../src/core/slack-roles.js';
import { quietLogger } from '../support/quiet-logger.js';

describe('TtlCache', () => {
  it('forgets entries after their TTL and drops the oldest beyond its size', () => {
    let now = 0;
    const cache = new TtlCache<string, number>(2, 1_000, () => now);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBeUndefined(); // evicted: only two fit
    expect(cache.get('b')).toBe(2);
    now = 1_000;
    expect(cache.get('c')).toBeUndefined(); // expired
  });
});

describe('PeopleDirectory', () => {
  function directory(getUser: (id: string) => Promise<SlackUserInfo | undefined>) {
    const calls: string[] = [];
    const slack = {
      getUser: (id: string) => {
        calls.push(id);
        return getUser(id);
      },
    } as unknown as UserDirectory;
    let now = 0;
    const people = new PeopleDirectory(slack, quietLogger, () => now);
    return { people, calls, advance: (ms: number) => (now += ms) };
  }
  const user = (id: string, displayName: string): SlackUserInfo => ({
    id,
    displayName,
    isAdmin: false,
    isBot: false,
    deleted: false,
    isGuest: false,
    isStranger: false,
  });

  it('looks each person up once for many names, and again after the TTL', async () => {
    const { people, calls, advance } = directory(async (id) => user(id, `name-${id}`));
    const ids = Array.from({ length: 100 }, (_, i) => `U${i}`);
    const names = await people.namesOf([...ids, ...ids]);
    expect(names.get('U7')).toBe('name-U7');
    expect(calls).toHaveLength(100);
    await people.namesOf(ids);
    expect(calls).toHaveLength(100);
    advance(11 * 60_000);
    await people.nameOf('U1');
    expect(calls).toHaveLength(101);
  });

  it('falls back to a neutral label on failure and does not cache the failure', async () => {
    let fail = true;
    const { people, calls } = directory(async (id) => {
      if (fail) throw new Error('slack down');
      return user(id, 'ana');
    });
    expect(await people.nameOf('U1')).toBe(NEUTRAL_NAME);
    fail = false;
    expect(await people.nameOf('U1')).toBe('ana');
    expect(calls).toHaveLength(2);
  });
});

describe('PeopleDirectory member lists are bounded', () => {
  function withPages(page: (cursor?: string) => { members: string[]; nextCursor?: string }) {
    const cursors: (string | undefined)[] = [];
    const slack = {
      conversationMembersPage: async (_channel: string, cursor?: string) => {
        cursors.push(cursor);
        return page(cursor);
      },
      userConversationsPage: async (_user: string, cursor?: string) => {
        cursors.push(cursor);
        return page(cursor);
      },
    } as unknown as UserDirectory;
    return { people: new PeopleDirectory(slack, quietLogger), cursors };
  }

  it('stops at MAX_PAGES pages of a list that never ends: unknown, not an endless loop', async () => {
    const { people, cursors } = withPages((cursor) => ({
      members: [`U${cursor ?? 0}`],
      nextCursor: String(Number(cursor ?? 0) + 1),
    }));
    expect(await people.ownerCanRead('C1', { kind: 'user', id: 'U0NOBODY' })).toBeUndefined();
    expect(cursors).toHaveLength(MAX_PAGES);
    // What was read still answers, without another call.
    expect(await people.ownerCanRead('C1', { kind: 'user', id: 'U3' })).toBe(true);
    expect(cursors).toHaveLength(MAX_PAGES);
  });

  it('stops at a cursor it has already followed', async () => {
    const { people, cursors } = withPages(() => ({ members: ['U1'], nextCursor: 'same' }));
    expect(await people.ownerCanRead('C1', { kind: 'user', id: 'U0NOBODY' })).toBeUndefined();
    expect(cursors).toEqual([undefined, 'same']);
  });

  it('reads a conversation once for many questions until it is forgotten', async () => {
    const { people, cursors } = withPages((cursor) =>
      cursor ? { members: ['U3', 'U4'] } : { members: ['U1', 'U2'], nextCursor: 'p2' },
    );
    expect(await people.ownerCanRead('C1', { kind: 'user', id: 'U1' })).toBe(true);
    expect(cursors).toHaveLength(1); // found on the first page: stopped there
    expect(await people.ownerCanRead('C1', { kind: 'user', id: 'U9' })).toBe(false);
    expect(await people.ownerCanRead('C1', { kind: 'user', id: 'U4' })).toBe(true);
    expect(cursors).toHaveLength(2);
    people.forgetConversation('C1');
    expect(await people.ownerCanRead('C1', { kind: 'user', id: 'U4' })).toBe(true);
    expect(cursors).toHaveLength(4);
  });

  it('caps a person’s conversation list too, keeping what it read', async () => {
    const { people, cursors } = withPages((cursor) => ({
      members: [`C${cursor ?? 0}`],
      nextCursor: String(Number(cursor ?? 0) + 1),
    }));
    const theirs = await people.conversationsOf('U1');
    expect(cursors).toHaveLength(MAX_PAGES);
    expect(theirs.has('C0')).toBe(true);
    expect(theirs.size).toBe(MAX_PAGES);
  });
});
