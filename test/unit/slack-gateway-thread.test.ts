import type { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { SlackGateway } from '../../src/slack/slack-gateway.js';

/**
 * A Web API client whose conversations.replies hands back the cursor it was given: each page says
 * there is more, behind the same cursor (a Slack bug, or a proxy replaying a response).
 */
function loopingClient() {
  const cursors: (string | undefined)[] = [];
  const client = {
    conversations: {
      replies: async (args: { cursor?: string }) => {
        cursors.push(args.cursor);
        const n = cursors.length;
        return {
          ok: true,
          messages: [{ ts: `1700000000.00000${n}`, user: 'U1', text: `message ${n}` }],
          has_more: true,
          response_metadata: { next_cursor: 'dXNlcjpVMDYxTkZUVDI=' },
        };
      },
    },
  } as unknown as WebClient;
  return { client, cursors };
}

describe('reading a thread whose cursor repeats', () => {
  it('stops at the first cursor already followed, keeps what it read, and logs it', async () => {
    const { client, cursors } = loopingClient();
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', secrets: [], sink: (line) => lines.push(line) });
    const gateway = new SlackGateway(client, logger, { identity: { botId: 'B0BOT0001', url: undefined } });
    const messages = await gateway.readThread('C1', '1700000000.000001');
    expect(cursors).toEqual([undefined, 'dXNlcjpVMDYxTkZUVDI=']);
    expect(messages.map((m) => m.text)).toEqual(['message 1', 'message 2']);
    expect(lines.some((l) => l.includes('Slack repeated a thread cursor'))).toBe(true);
  });
});
