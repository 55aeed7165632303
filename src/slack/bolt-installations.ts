import type {
  InstallationStore as BoltInstallationStore,
  Installation,
  InstallationQuery,
} from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { InstallationStore, WorkspaceInstallation } from '../core/installations/installation-store.js';

/**
 * Bolt's installation store (used by its InstallProvider: the OAuth callback stores, `authorize`
 * fetches) over ours. Only the bot token is kept: the bot asks for no user scopes.
 */
export function boltInstallationStore(
  store: InstallationStore,
  options: {
    /** A client for the new token: auth.test gives the workspace's address (message links). */
    newClient: (token: string) => WebClient;
    /** After a (re)install: the workspace's cached client is stale. */
    installed: (installation: WorkspaceInstallation) => void;
  },
): BoltInstallationStore {
  return {
    async storeInstallation(installation: Installation) {
      const bot = installation.bot;
      if (!bot) throw new Error('the install returned no bot token (the app must have a bot user)');
      const isEnterpriseInstall = installation.isEnterpriseInstall === true;
      const url = isEnterpriseInstall
        ? installation.enterpriseUrl
        : ((await options.newClient(bot.token).auth.test()).url as string | undefined);
      const saved: WorkspaceInstallation = {
        enterpriseId: installation.enterprise?.id,
        teamId: isEnterpriseInstall ? undefined : installation.team?.id,
        isEnterpriseInstall,
        appId: installation.appId,
        botToken: bot.token,
        botId: bot.id,
        botUserId: bot.userId,
        botScopes: bot.scopes,
        installerUserId: installation.user.id,
        url,
      };
      await store.save(saved);
      options.installed(saved);
    },
    async fetchInstallation(query: InstallationQuery<boolean>) {
      const found =
        query.isEnterpriseInstall && query.enterpriseId
          ? await store.find({ isEnterpriseInstall: true, enterpriseId: query.enterpriseId })
          : query.teamId
            ? await store.findForTeam(query.teamId)
            : undefined;
      // A workspace of an organisation-wide install whose first event this is.
      const org =
        !found && query.enterpriseId
          ? await store.find({ isEnterpriseInstall: true, enterpriseId: query.enterpriseId })
          : undefined;
      const installation = found ?? org;
      if (!installation) throw new Error('no installation for this workspace');
      if (org && query.teamId) await store.linkWorkspace(query.teamId, org.enterpriseId ?? '');
      return toBolt(installation);
    },
    async deleteInstallation(query: InstallationQuery<boolean>) {
      if (query.isEnterpriseInstall && query.enterpriseId)
        await store.delete({ isEnterpriseInstall: true, enterpriseId: query.enterpriseId });
      else if (query.teamId) await store.delete({ isEnterpriseInstall: false, teamId: query.teamId });
    },
  };
}

function toBolt(installation: WorkspaceInstallation): Installation<'v2', boolean> {
  return {
    team: installation.teamId ? { id: installation.teamId } : undefined,
    enterprise: installation.enterpriseId ? { id: installation.enterpriseId } : undefined,
    user: { id: installation.installerUserId ?? '', token: undefined, scopes: undefined },
    bot: {
      token: installation.botToken,
      id: installation.botId,
      userId: installation.botUserId,
      scopes: [...installation.botScopes],
    },
    isEnterpriseInstall: installation.isEnterpriseInstall,
    appId: installation.appId,
    tokenType: 'bot',
    authVersion: 'v2',
    ...(installation.isEnterpriseInstall && installation.url ? { enterpriseUrl: installation.url } : {}),
  } as Installation<'v2', boolean>;
}
