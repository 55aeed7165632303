import { randomBytes } from 'node:crypto';
import { FAKE_BOT_ID, FAKE_BOT_USER_ID, FAKE_TEAM_ID } from './types.js';
import { type Body, fail, ok } from './wire.js';

/** A workspace the fake's app is installed in (OAuth v2), with its own bot token and bot user. */
export interface FakeWorkspace {
  teamId: string;
  teamName: string;
  botUserId: string;
  botId: string;
  url: string;
  enterpriseId?: string;
  /**
   * An Enterprise Grid organisation-wide install (`teamId` is then the organisation's id): its one
   * token acts in every workspace listed here.
   */
  orgWorkspaces?: string[];
}

interface Installed extends FakeWorkspace {
  token: string;
  revoked: boolean;
}

/** The workspaces a token may act in. */
const actsIn = (installed: Installed): string[] => installed.orgWorkspaces ?? [installed.teamId];

/** The app the fake's OAuth speaks for: the tests' SLACK_CLIENT_ID / SLACK_CLIENT_SECRET. */
export const FAKE_APP = {
  appId: 'A0FAKEAPP1',
  clientId: '1111.2222',
  clientSecret: 'fake-client-secret-0123456789',
};

/**
 * Several workspaces in one fake Slack, as one app installed in each: `oauth.v2.access` turns a
 * one-time code into that workspace's bot token (Slack's response shape), each token acts only in its
 * own workspace (auth.test answers for it; another workspace's channel is `channel_not_found`), and an
 * uninstall revokes the token (`token_revoked`). Tokens not minted here are the single workspace's
 * (FAKE_TEAM_ID), so the single-token tests run as before.
 */
export class FakeWorkspaces {
  private readonly byToken = new Map<string, Installed>();
  private readonly codes = new Map<
    string,
    { workspace: FakeWorkspace; installerUserId: string; used: boolean }
  >();
  /** Channels that belong to a workspace (addChannel's `team`); others are visible to every token. */
  readonly channelTeams = new Map<string, string>();

  /** A code as Slack's redirect carries it after someone approved the install in that workspace. */
  approveInstall(workspace: FakeWorkspace, installerUserId: string): string {
    const code = `code-${randomBytes(6).toString('hex')}`;
    this.codes.set(code, { workspace, installerUserId, used: false });
    return code;
  }

  /** oauth.v2.access: the client's credentials and a one-time code. */
  exchange(args: Record<string, unknown>, basicAuth: string | undefined, scopes: string): Body {
    const [id, secret] = basicAuth
      ? Buffer.from(basicAuth, 'base64').toString('utf8').split(':')
      : [args.client_id, args.client_secret];
    if (id !== FAKE_APP.clientId) return fail('invalid_client_id');
    if (secret !== FAKE_APP.clientSecret) return fail('bad_client_secret');
    const grant = this.codes.get(String(args.code ?? ''));
    if (!grant || grant.used) return fail('invalid_code');
    grant.used = true;
    const token = `xoxb-${grant.workspace.teamId}-${randomBytes(8).toString('hex')}`;
    // A reinstall mints a new token; the old one stops working.
    for (const old of this.byToken.values()) if (old.teamId === grant.workspace.teamId) old.revoked = true;
    this.byToken.set(token, { ...grant.workspace, token, revoked: false });
    const org = grant.workspace.orgWorkspaces !== undefined;
    return ok({
      access_token: token,
      token_type: 'bot',
      scope: scopes,
      bot_user_id: grant.workspace.botUserId,
      app_id: FAKE_APP.appId,
      // An organisation-wide install has no team, only the enterprise (Slack's oauth.v2.access).
      team: org ? null : { name: grant.workspace.teamName, id: grant.workspace.teamId },
      enterprise: grant.workspace.enterpriseId
        ? { name: 'Fake Org', id: grant.workspace.enterpriseId }
        : null,
      authed_user: { id: grant.installerUserId },
      is_enterprise_install: org,
    });
  }

  /** The workspace a token acts in; undefined for a token this fake did not mint. */
  of(token: string): Installed | undefined {
    return this.byToken.get(token);
  }

  /** Every token minted for the workspace, newest last. */
  tokensOf(teamId: string): string[] {
    return [...this.byToken.values()].filter((w) => w.teamId === teamId).map((w) => w.token);
  }

  /** The app was removed from the workspace: its tokens stop working. */
  uninstall(teamId: string): void {
    for (const installed of this.byToken.values()) if (installed.teamId === teamId) installed.revoked = true;
  }

  /** The error a call with `token` about `channel` gets in Slack, if any. */
  refusal(token: string, channel: unknown): string | undefined {
    const installed = this.byToken.get(token);
    if (installed?.revoked) return 'token_revoked';
    if (typeof channel !== 'string') return undefined;
    const owner = this.channelTeams.get(channel);
    const teams = installed ? actsIn(installed) : [FAKE_TEAM_ID];
    return owner !== undefined && !teams.includes(owner) ? 'channel_not_found' : undefined;
  }

  /** auth.test for a minted token. */
  authTest(installed: Installed): Body {
    return ok({
      url: installed.url,
      team: installed.teamName,
      user: 'data-engineer',
      team_id: installed.teamId,
      user_id: installed.botUserId,
      bot_id: installed.botId,
      is_enterprise_install: installed.orgWorkspaces !== undefined,
      ...(installed.enterpriseId ? { enterprise_id: installed.enterpriseId } : {}),
    });
  }

  /** Who posts with this token: the workspace's bot user (the single workspace's by default). */
  actor(token: string): { botUserId: string; botId: string } {
    const installed = this.byToken.get(token);
    return installed
      ? { botUserId: installed.botUserId, botId: installed.botId }
      : { botUserId: FAKE_BOT_USER_ID, botId: FAKE_BOT_ID };
  }

  reset(): void {
    this.byToken.clear();
    this.codes.clear();
    this.channelTeams.clear();
  }
}
