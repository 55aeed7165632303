import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { FAKE_APP, type FakeWorkspace } from './fake-slack/workspaces.js';
import type { Harness } from './harness.js';

/** The OAuth install's settings (no SLACK_BOT_TOKEN: every workspace's token comes from its install). */
export const OAUTH_ENV = () => ({
  SLACK_BOT_TOKEN: '',
  SLACK_CLIENT_ID: FAKE_APP.clientId,
  SLACK_CLIENT_SECRET: FAKE_APP.clientSecret,
  SLACK_STATE_SECRET: 'state-secret-0123456789abcdef',
  TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
});

/** A fake workspace named `name`: T0NAME01, its bot U0BOTNAME. */
export const fakeWorkspace = (name: string): FakeWorkspace => ({
  teamId: `T0${name.toUpperCase()}01`,
  teamName: name,
  botUserId: `U0BOT${name.toUpperCase()}`,
  botId: `B0BOT${name.toUpperCase()}`,
  url: `https://${name}.slack.com/`,
});

/** Add to Slack, approve in `ws`, follow the redirect with the state cookie (as a browser does). */
export async function installWorkspace(h: Harness, ws: FakeWorkspace, installer: string): Promise<void> {
  const page = await fetch(`${h.app.url}/slack/install`);
  const state = /slack-app-oauth-state=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const code = h.slack.workspaces.approveInstall(ws, installer);
  const done = await fetch(`${h.app.url}/slack/oauth_redirect?code=${code}&state=${state}`, {
    headers: { cookie: `slack-app-oauth-state=${state}` },
  });
  expect(done.status).toBe(200);
}
