import { AsyncLocalStorage } from 'node:async_hooks';
import type { WebClient } from '@slack/web-api';
import type { InstallationStore } from '../core/installations/installation-store.js';
import { slackError } from './slack-errors.js';

/** One workspace as the bot acts in it: its client (its own bot token) and who the bot is there. */
export interface Workspace {
  teamId: string;
  client: WebClient;
  token: string;
  botId: string;
  botUserId: string;
  /** e.g. https://acme.slack.com/ (for message links). */
  url: string | undefined;
}

/** The workspace a piece of work belongs to: set where work enters (a request, a job, a check, a digest). */
interface Scope {
  teamId: string;
  workspace: Workspace | undefined;
}

const scopes = new AsyncLocalStorage<Scope>();

/** How long a workspace's client is reused before its install is read again. */
export const CLIENT_CACHE_MS = 60_000;

/**
 * Which Slack client a call uses. With one workspace (SLACK_BOT_TOKEN) it is always that one. With the
 * OAuth install every call uses the token of the workspace whose work it is: the scope is set where
 * work enters (Bolt's middleware from the request's team, the job worker from the job's team, the
 * schedulers per workspace), and `client()` is a WebClient that resolves each call to the scope's
 * client. A call made outside any scope fails (`not_installed`) instead of guessing a workspace.
 * Clients are cached per team for CLIENT_CACHE_MS; an install or uninstall here invalidates the entry
 * at once (one made through another instance is seen within the minute).
 */
export class WorkspaceClients {
  private readonly cache = new Map<string, { loadedAt: number; workspace: Promise<Workspace | undefined> }>();

  private constructor(
    private readonly single: Workspace | undefined,
    private readonly installs: InstallationStore | undefined,
    private readonly newClient: (token: string) => WebClient,
    private readonly now: () => number = Date.now,
  ) {}

  static single(workspace: Workspace): WorkspaceClients {
    return new WorkspaceClients(workspace, undefined, () => workspace.client);
  }

  static installed(
    installs: InstallationStore,
    newClient: (token: string) => WebClient,
    now?: () => number,
  ): WorkspaceClients {
    return new WorkspaceClients(undefined, installs, newClient, now);
  }

  get multiWorkspace(): boolean {
    return this.single === undefined;
  }

  /** The workspace serving `teamId` (its own install, else its organisation's), or undefined. */
  resolve(teamId: string, enterpriseId?: string): Promise<Workspace | undefined> {
    if (this.single) return Promise.resolve(this.single);
    const cached = this.cache.get(teamId);
    // Kept a minute: another instance may have stored a reinstall's new token (or an uninstall).
    if (cached && this.now() - cached.loadedAt < CLIENT_CACHE_MS) return cached.workspace;
    const pending = this.load(teamId, enterpriseId);
    this.cache.set(teamId, { loadedAt: this.now(), workspace: pending });
    // Misses are not kept: a workspace installed a moment later is found on its first event.
    pending.then(
      (found) => found ?? this.cache.delete(teamId),
      () => this.cache.delete(teamId),
    );
    return pending;
  }

  /** After an uninstall or reinstall: the next call reads the store again. */
  invalidate(teamId?: string): void {
    if (teamId === undefined) this.cache.clear();
    else this.cache.delete(teamId);
  }

  /**
   * Runs `work` as the workspace's: every Slack call in it uses that workspace's token. With one
   * workspace there is nothing to scope, and no AsyncLocalStorage is entered: once entered, its async
   * hook runs for every promise, socket and timer in the process (bench (a): p99 ratio 1.14 → 1.09 over
   * five interleaved runs without it).
   */
  async run<T>(teamId: string, work: () => Promise<T>, enterpriseId?: string): Promise<T> {
    if (this.single) return work();
    const workspace = await this.resolve(teamId, enterpriseId);
    return scopes.run({ teamId, workspace }, work);
  }

  /** The team whose work is running (undefined outside any scope). */
  currentTeamId(): string | undefined {
    return this.single?.teamId ?? scopes.getStore()?.teamId;
  }

  /** The workspace whose work is running; throws outside a scope or for a workspace not installed. */
  current(): Workspace {
    if (this.single) return this.single;
    const scope = scopes.getStore();
    if (!scope) throw slackError('not_installed', 'no workspace scope');
    if (!scope.workspace) throw slackError('not_installed', 'workspace');
    return scope.workspace;
  }

  /**
   * A WebClient that is the current workspace's client for every property read (`client.chat` is the
   * scope's `chat`), so code written for one client serves every workspace unchanged.
   */
  client(): WebClient {
    if (this.single) return this.single.client;
    return new Proxy({} as WebClient, {
      get: (_target, property) => {
        const client = this.current().client;
        const value = Reflect.get(client, property, client) as unknown;
        return typeof value === 'function' ? value.bind(client) : value;
      },
    });
  }

  /** Who the bot is in the current workspace, read at each use. */
  self(): { readonly botId: string; readonly botUserId: string; readonly url: string | undefined } {
    const current = () => this.current();
    return {
      get botId() {
        return current().botId;
      },
      get botUserId() {
        return current().botUserId;
      },
      get url() {
        return current().url;
      },
    };
  }

  private async load(teamId: string, enterpriseId: string | undefined): Promise<Workspace | undefined> {
    const installs = this.installs;
    if (!installs) return undefined;
    let installation = await installs.findForTeam(teamId);
    if (!installation && enterpriseId) {
      installation = await installs.find({ isEnterpriseInstall: true, enterpriseId });
      // A workspace of an organisation-wide install: remembered, so its queued jobs find the token.
      if (installation) await installs.linkWorkspace(teamId, enterpriseId);
    }
    if (!installation) return undefined;
    return {
      teamId,
      client: this.newClient(installation.botToken),
      token: installation.botToken,
      botId: installation.botId,
      botUserId: installation.botUserId,
      url: installation.url,
    };
  }
}
