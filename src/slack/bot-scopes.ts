/**
 * The bot scopes the OAuth install asks for: exactly manifest.yml's `oauth_config.scopes.bot`
 * (test/unit/manifest.test.ts compares them), least privilege, each explained there.
 */
export const BOT_SCOPES = [
  'app_mentions:read',
  'assistant:write',
  'channels:history',
  'groups:history',
  'im:history',
  'mpim:history',
  'chat:write',
  'commands',
  'files:write',
  'files:read',
  'users:read',
  'usergroups:read',
  'channels:read',
  'groups:read',
  'im:read',
  'mpim:read',
] as const;
