import { BOT_USER, type Channel, conversationType, kindFlags, type Method } from '../state.js';
import { FAKE_BOT_ID, FAKE_BOT_USER_ID, FAKE_TEAM_ID } from '../types.js';
import { cursorOffset, fail, nextCursor, ok, pageLimit } from '../wire.js';

/** auth.test, users.info, users.conversations and usergroups.users.list. */

const authTest: Method = () =>
  ok({
    url: 'https://fake-workspace.slack.com/',
    team: 'Fake Workspace',
    user: BOT_USER.name,
    team_id: FAKE_TEAM_ID,
    user_id: FAKE_BOT_USER_ID,
    bot_id: FAKE_BOT_ID,
    is_enterprise_install: false,
  });

const userInfo: Method = (state, args) => {
  const user = state.users.get(String(args.user));
  return user ? ok({ user: { ...user, team_id: user.team_id ?? FAKE_TEAM_ID } }) : fail('user_not_found');
};

/** usergroups.users.list: the group's user ids (not paginated in Slack either). */
const userGroupUsers: Method = (state, args) => {
  const users = state.userGroups.get(String(args.usergroup));
  return users ? ok({ users: [...users] }) : fail('no_such_subteam');
};

/**
 * users.conversations for `user`, paginated like Slack (`limit` default 100, at most 999; opaque
 * `cursor`, `invalid_cursor` when it is not ours). `types` defaults to public_channel. As with a bot
 * token in Slack, private channels, DMs and group DMs are listed only when the bot is in them too.
 * The conversations are the ones added with addChannel plus any that hold messages.
 */
const userConversations: Method = (state, args) => {
  const userId = String(args.user ?? '');
  if (!state.users.has(userId)) return fail('user_not_found');
  const types = new Set(String(args.types || 'public_channel').split(','));
  const ids = new Set([...state.channels.keys(), ...state.messages.map((m) => m.channel)]);
  const listed = [...ids]
    .sort()
    .map((id) => state.channel(id))
    .filter((channel): channel is Channel => channel !== undefined)
    .filter((channel) => types.has(conversationType(channel)))
    .filter((channel) => !channel.private || channel.member)
    .filter((channel) => (channel.members ? channel.members.includes(userId) : true));
  const limit = pageLimit(args, 100, 999);
  let offset = 0;
  if (args.cursor) {
    offset = cursorOffset(args.cursor);
    if (!Number.isInteger(offset) || offset <= 0) return fail('invalid_cursor');
  }
  const page = listed.slice(offset, offset + limit).map((channel) => ({
    id: channel.id,
    name: channel.name,
    ...kindFlags(channel),
    is_mpim: false,
    is_private: channel.private,
    is_archived: false,
    context_team_id: FAKE_TEAM_ID,
  }));
  return ok({ channels: page, response_metadata: { next_cursor: nextCursor(offset, limit, listed.length) } });
};

export const userMethods: Record<string, Method> = {
  'auth.test': authTest,
  'users.info': userInfo,
  'usergroups.users.list': userGroupUsers,
  'users.conversations': userConversations,
};
