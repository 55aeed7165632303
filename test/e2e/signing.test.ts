import { afterEach, describe, expect, it, vi } from 'vitest';
import { FAKE_TEAM_ID } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import {
  postSigned,
  SLACK_SIGNING_EXAMPLE,
  signSlackRequest,
  slashCommandBody,
} from '../support/slack-signing.js';

describe('request signing', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await h?.close();
    h = undefined;
  });

  const body = () =>
    slashCommandBody({
      text: 'design a pipeline',
      team_id: FAKE_TEAM_ID,
      response_url: 'http://127.0.0.1:9/x',
    });

  async function post(headers: Record<string, string>, payload = body()) {
    if (!h) throw new Error('no harness');
    return fetch(`${h.app.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: payload,
    });
  }

  it('rejects unsigned, wrongly signed and stale requests with 401 and does nothing', async () => {
    h = await startHarness();
    expect((await post({})).status).toBe(401);

    const payload = body();
    const wrong = signSlackRequest('not-the-secret', payload);
    expect((await post(wrong, payload)).status).toBe(401);

    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    const stale = signSlackRequest(TEST_SECRETS.signingSecret, payload, tenMinutesAgo);
    expect((await post(stale, payload)).status).toBe(401);

    const tampered = signSlackRequest(TEST_SECRETS.signingSecret, payload);
    expect((await post(tampered, payload.replace('pipeline', 'pipelinX'))).status).toBe(401);

    await h.app.idle();
    expect(h.query('select * from tasks')).toHaveLength(0);
    expect(h.anthropic.requests).toHaveLength(0);
  });

  it("verifies Slack's published signing example when the clock is pinned to its timestamp", async () => {
    h = await startHarness({ env: { SLACK_SIGNING_SECRET: SLACK_SIGNING_EXAMPLE.secret } });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(SLACK_SIGNING_EXAMPLE.timestamp * 1000);
    const response = await postSigned(`${h.app.url}/slack/events`, SLACK_SIGNING_EXAMPLE.body, {
      signingSecret: SLACK_SIGNING_EXAMPLE.secret,
      contentType: 'application/x-www-form-urlencoded',
      timestampSec: SLACK_SIGNING_EXAMPLE.timestamp,
      headers: { 'x-slack-signature': SLACK_SIGNING_EXAMPLE.signature },
    });
    // The example is a slash command with empty text: verified, then answered with the usage help.
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
  });
});
