import { describe, expect, it } from 'vitest';
import { dataToolsWithheld } from '../../src/core/data-sources/data-eligibility.js';
import { SlackError } from '../../src/core/errors.js';
import type { SlackUserInfo } from '../../src/core/slack-roles.js';
import { quietLogger } from '../support/quiet-logger.js';

const TASK = { teamId: 'T1', channelId: 'C1', requesterId: 'U1', id: 1 };
const member: SlackUserInfo = {
  id: 'U1',
  isAdmin: false,
  isBot: false,
  deleted: false,
  teamId: 'T1',
  isGuest: false,
  isStranger: false,
};

describe('who gets the data tools', () => {
  const slack = (user: SlackUserInfo | undefined | Error, shared: boolean | Error = false) => ({
    getUser: async () => {
      if (user instanceof Error) throw user;
      return user;
    },
    isSharedExternally: async () => {
      if (shared instanceof Error) throw shared;
      return shared;
    },
  });
  const withheld = (s: ReturnType<typeof slack> | undefined, team: string | undefined = 'T1') =>
    dataToolsWithheld(
      { ...(s ? { slack: s } : {}), ...(team ? { workspaceTeamId: team } : {}) },
      TASK,
      quietLogger,
    );

  it('a full member of this workspace in an internal channel', async () => {
    expect(await withheld(slack(member))).toBeUndefined();
    expect(await withheld(slack({ ...member, teamId: 'T9', enterpriseTeamIds: ['T1'] }))).toBeUndefined();
  });

  it('not guests, strangers, other teams, bots, deactivated or unknown users, shared channels; fail closed', async () => {
    for (const user of [
      { ...member, isGuest: true },
      { ...member, isStranger: true },
      { ...member, teamId: 'T9' },
      { ...member, isBot: true },
      { ...member, deleted: true },
      undefined,
    ])
      expect(await withheld(slack(user))).toBe('the requester is not a full member of this workspace');
    expect(await withheld(slack(member, true))).toBe('the channel is shared with another organisation');
    expect(await withheld(slack(new SlackError('ratelimited', 'users.info', 'other')))).toMatch(
      /^Slack could not say/,
    );
    expect(
      await withheld(
        slack(member, new SlackError('channel_not_found', 'conversations.info', 'conversation_hidden')),
      ),
    ).toMatch(/^Slack could not say/);
    expect(await withheld(undefined)).toBe('who asked and where cannot be checked');
    expect(await withheld(slack(member), '')).toBe('who asked and where cannot be checked');
  });
});
