import { describe, expect, it } from 'vitest';
import {
  type DigestFacts,
  type DigestStore,
  standingFingerprint,
} from '../../src/core/digest/digest-facts.js';
import type { DigestDeps } from '../../src/core/digest/post-digest.js';
import { postScheduledDigest } from '../../src/core/digest/scheduled-digest.js';
import { PeopleDirectory } from '../../src/core/people.js';
import type { UserDirectory } from '../../src/core/slack-roles.js';
import { quietLogger } from '../support/quiet-logger.js';

/** A channel with `n` open requests and `w` waiting tasks; only the first 15 of each are listed. */
function facts(requestIds: number[], waitingIds: number[]): DigestFacts {
  const request = (id: number) => ({
    id,
    teamId: 'T1',
    taskId: id,
    channelId: 'C1',
    threadTs: '1.1',
    role: 'security' as const,
    topic: `t${id}`,
    request: 'r',
    reason: 'r',
    owner: { kind: 'user' as const, id: 'U1' },
    status: 'open' as const,
    pingTs: null,
    acknowledgedBy: null,
    acknowledgedAt: null,
    doneBy: null,
    doneAt: null,
    createdAt: id,
  });
  const task = (id: number) => ({
    id,
    title: `task ${id}`,
    status: 'waiting_for_answers' as const,
    channelId: 'C1',
    threadTs: '1.1',
    requesterId: 'U2',
    at: id,
  });
  return {
    channelId: 'C1',
    from: 0,
    to: 1,
    asked: { total: 0, items: [] },
    answered: { total: 0, items: [] },
    failed: { total: 0, items: [] },
    waiting: { total: waitingIds.length, items: waitingIds.slice(0, 15).map(task) },
    openRequests: { total: requestIds.length, items: requestIds.slice(0, 15).map(request) },
    standing: {
      waitingTaskIds: waitingIds,
      openRequests: requestIds.map((id) => ({ id, status: 'open', ownerKind: 'user', ownerId: 'U1' })),
    },
    usageByModel: [],
  };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('standingFingerprint', () => {
  it('changes when an unlisted item changes, even with the same totals and the same listed items', () => {
    const before = facts(range(1, 20), range(100, 20));
    // Request 20 (not listed) closed and request 21 opened; waiting task 119 answered, 120 asks.
    const requestsSwapped = facts([...range(1, 19), 21], range(100, 20));
    const waitingSwapped = facts(range(1, 20), [...range(100, 19), 120]);
    expect(standingFingerprint(requestsSwapped)).not.toBe(standingFingerprint(before));
    expect(standingFingerprint(waitingSwapped)).not.toBe(standingFingerprint(before));
    expect(standingFingerprint(facts(range(1, 20), range(100, 20)))).toBe(standingFingerprint(before));
  });

  it('stays short however many items stand', () => {
    expect(standingFingerprint(facts(range(1, 5_000), range(10_000, 5_000))).length).toBeLessThan(64);
  });
});

describe('postScheduledDigest crash recovery', () => {
  it('records the fingerprint when a dead process had already posted the digest', async () => {
    const finished: Parameters<DigestStore['finishDigestRun']>[3][] = [];
    const digests = {
      claimDigestRun: () => false,
      reclaimStaleDigestRun: () => true,
      digestFacts: () => facts([1, 2], [3]),
      finishDigestRun: (_t: string, _c: string, _d: string, outcome: (typeof finished)[number]) => {
        finished.push(outcome);
      },
    } as unknown as DigestStore;
    const slack = {
      findPosted: async () => '1700000000.000100',
      postText: async () => {
        throw new Error('must not post again');
      },
    } as unknown as DigestDeps['slack'] & UserDirectory;
    const deps: DigestDeps = {
      digests,
      slack,
      logger: quietLogger,
      people: new PeopleDirectory(slack, quietLogger),
      defaultSchedule: { time: '09:00', timeZone: 'UTC' },
      postWhenEmpty: false,
    };
    const due = { localDate: '2026-11-30', scheduledAt: new Date(), from: new Date(0) };
    expect(await postScheduledDigest(deps, 'T1', 'C1', due, 'UTC')).toBe('skipped');
    expect(finished).toEqual([
      {
        status: 'posted',
        parentTs: '1700000000.000100',
        fingerprint: standingFingerprint(facts([1, 2], [3])),
      },
    ]);
  });
});
