import { describe, expect, it } from 'vitest';
import { FAKE_BOT_USER_ID, FAKE_TEAM_ID } from './fake-slack.js';
import { CHANNEL, USER } from './fake-slack-test-setup.js';
import { eventEnvelope, SLACK_SIGNING_EXAMPLE, signSlackRequest, slashCommandBody } from './slack-signing.js';

describe('Slack request signing', () => {
  it("reproduces Slack's published example", () => {
    const { secret, timestamp, body, signature } = SLACK_SIGNING_EXAMPLE;
    expect(Buffer.byteLength(body)).toBe(362);
    expect(signSlackRequest(secret, body, timestamp)).toEqual({
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': signature,
    });
  });

  it('builds slash-command and event bodies the way Slack sends them', () => {
    const body = new URLSearchParams(
      slashCommandBody({ text: 'design a pipeline', response_url: 'http://x/r/1' }),
    );
    expect(body.get('team_id')).toBe(FAKE_TEAM_ID);
    expect(body.get('command')).toBe('/data-engineer');
    expect(body.get('text')).toBe('design a pipeline');
    const another = new URLSearchParams(slashCommandBody({ text: '', response_url: 'http://x/r/1' }));
    expect(another.get('trigger_id')).not.toBe(body.get('trigger_id'));

    const envelope = JSON.parse(
      eventEnvelope({ type: 'app_mention', user: USER, text: 'hi', ts: '1.2', channel: CHANNEL }),
    );
    expect(envelope).toMatchObject({
      type: 'event_callback',
      team_id: FAKE_TEAM_ID,
      event: { event_ts: '1.2' },
    });
    expect(envelope.authorizations[0]).toMatchObject({ user_id: FAKE_BOT_USER_ID, is_bot: true });
    expect(JSON.parse(eventEnvelope({ type: 'x' })).event_id).not.toBe(envelope.event_id);
  });
});
