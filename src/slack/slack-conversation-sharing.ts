import type { WebClient } from '@slack/web-api';
import type { SlackCall } from './slack-calls.js';
import { toSlackError } from './slack-errors.js';

/**
 * Whether a conversation is shared with another organisation, from conversations.info. `is_shared`
 * alone is also set for a channel shared between workspaces of one Enterprise Grid organisation
 * (`is_org_shared`), which stays inside the organisation; every other form of sharing, and a pending
 * invitation, counts as external.
 */
export async function isSharedExternally(
  client: WebClient,
  call: SlackCall,
  channelId: string,
): Promise<boolean> {
  try {
    const { channel } = await call(() => client.conversations.info({ channel: channelId }), {
      idempotent: true,
    });
    if (!channel) throw new Error('conversations.info returned no channel');
    return Boolean(
      channel.is_ext_shared || channel.is_pending_ext_shared || (channel.is_shared && !channel.is_org_shared),
    );
  } catch (error) {
    throw toSlackError(error, 'conversations.info');
  }
}
