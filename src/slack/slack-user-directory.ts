import type { WebClient } from '@slack/web-api';
import type { SlackUserInfo, UserDirectory } from '../core/slack-roles.js';
import type { SlackCall } from './slack-calls.js';
import { slackErrorCode, toSlackError } from './slack-errors.js';

/** Who people are and where they are, over users.info, usergroups.users.list and the membership lists. */
export class SlackUserDirectory implements UserDirectory {
  constructor(
    private readonly client: WebClient,
    private readonly call: SlackCall,
  ) {}

  async getUser(userId: string): Promise<SlackUserInfo | undefined> {
    try {
      const { user } = await this.call(() => this.client.users.info({ user: userId }), { idempotent: true });
      if (!user?.id) return undefined;
      const name = displayName(user);
      return {
        id: user.id,
        isAdmin: Boolean(user.is_admin || user.is_owner || user.is_primary_owner),
        isBot: Boolean(user.is_bot || user.is_app_user),
        deleted: Boolean(user.deleted),
        isGuest: Boolean(user.is_restricted || user.is_ultra_restricted),
        isStranger: Boolean(user.is_stranger),
        ...(user.enterprise_user?.teams ? { enterpriseTeamIds: user.enterprise_user.teams } : {}),
        ...(user.team_id ? { teamId: user.team_id } : {}),
        ...(user.tz ? { timeZone: user.tz } : {}),
        ...(name ? { displayName: name } : {}),
      };
    } catch (error) {
      if (slackErrorCode(error) === 'user_not_found') return undefined;
      throw toSlackError(error, 'users.info');
    }
  }

  async usergroupMembers(groupId: string): Promise<string[]> {
    try {
      const result = await this.call(() => this.client.usergroups.users.list({ usergroup: groupId }), {
        idempotent: true,
      });
      return result.users ?? [];
    } catch (error) {
      throw toSlackError(error, 'usergroups.users.list');
    }
  }

  async conversationMembersPage(
    channelId: string,
    cursor?: string,
  ): Promise<{ members: string[]; nextCursor?: string }> {
    try {
      const page = await this.call(
        () =>
          this.client.conversations.members({
            channel: channelId,
            limit: 200,
            ...(cursor ? { cursor } : {}),
          }),
        { idempotent: true },
      );
      const next = page.response_metadata?.next_cursor;
      return { members: page.members ?? [], ...(next ? { nextCursor: next } : {}) };
    } catch (error) {
      throw toSlackError(error, 'conversations.members');
    }
  }

  async userConversationsPage(
    userId: string,
    cursor?: string,
  ): Promise<{ members: string[]; nextCursor?: string }> {
    try {
      const page = await this.call(
        () =>
          this.client.users.conversations({
            user: userId,
            types: 'public_channel,private_channel,mpim,im',
            exclude_archived: true,
            limit: 200,
            ...(cursor ? { cursor } : {}),
          }),
        { idempotent: true },
      );
      const next = page.response_metadata?.next_cursor;
      const ids = (page.channels ?? []).flatMap((channel) => (channel.id ? [channel.id] : []));
      return { members: ids, ...(next ? { nextCursor: next } : {}) };
    } catch (error) {
      throw toSlackError(error, 'users.conversations');
    }
  }
}

/** The name Slack shows for a user: display name, else real name, else the handle. */
function displayName(user: {
  name?: string;
  real_name?: string;
  profile?: { display_name?: string; real_name?: string };
}): string | undefined {
  return user.profile?.display_name || user.profile?.real_name || user.real_name || user.name || undefined;
}
