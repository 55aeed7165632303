import type { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import type {
  InstallationStore,
  WorkspaceInstallation,
} from '../../src/core/installations/installation-store.js';
import { CLIENT_CACHE_MS, WorkspaceClients } from '../../src/slack/workspaces.js';

/** A store with one workspace whose token a reinstall (through another instance) changes. */
function storeWith(token: { value: string }) {
  let reads = 0;
  const installation = (): WorkspaceInstallation => ({
    enterpriseId: undefined,
    teamId: 'T1',
    isEnterpriseInstall: false,
    appId: undefined,
    botToken: token.value,
    botId: 'B1',
    botUserId: 'U1',
    botScopes: [],
    installerUserId: undefined,
    url: undefined,
  });
  const store = {
    findForTeam: async (teamId: string) => {
      reads += 1;
      return teamId === 'T1' ? installation() : undefined;
    },
    find: async () => undefined,
  } as unknown as InstallationStore;
  return { store, reads: () => reads };
}

const fakeClient = (token: string) => ({ token }) as unknown as WebClient;

describe('per-workspace clients', () => {
  it('reuses a workspace client, and reads the install again after a minute or an invalidation', async () => {
    const token = { value: 'xoxb-old' };
    const { store, reads } = storeWith(token);
    let now = 0;
    const clients = WorkspaceClients.installed(store, fakeClient, () => now);
    expect((await clients.resolve('T1'))?.token).toBe('xoxb-old');
    token.value = 'xoxb-new'; // reinstalled through another instance
    expect((await clients.resolve('T1'))?.token).toBe('xoxb-old');
    expect(reads()).toBe(1);
    now += CLIENT_CACHE_MS;
    expect((await clients.resolve('T1'))?.token).toBe('xoxb-new');
    clients.invalidate('T1');
    await clients.resolve('T1');
    expect(reads()).toBe(3);
  });

  it('refuses a Slack call outside any workspace, or for a workspace not installed', async () => {
    const { store } = storeWith({ value: 'xoxb-1' });
    const clients = WorkspaceClients.installed(store, fakeClient);
    const client = clients.client();
    expect(() => client.token).toThrow(/not_installed/);
    await expect(clients.run('T0OTHER', async () => client.token)).rejects.toThrow(/not_installed/);
    await expect(clients.run('T1', async () => client.token)).resolves.toBe('xoxb-1');
  });
});
