import type { Logger } from '../logger.js';
import type { InstallationKey, InstallationStore, WorkspaceDataPurge } from './installation-store.js';

/** What an uninstall (or a revoked bot token) names: a workspace, or an organisation-wide install. */
export interface UninstallTarget {
  teamId: string | undefined;
  enterpriseId: string | undefined;
  isEnterpriseInstall: boolean;
  /** When Slack sent the event (Unix ms): an install written after it is a reinstall, left alone. */
  eventTime?: number | undefined;
}

export interface UninstallDeps {
  installations: InstallationStore;
  purge: WorkspaceDataPurge;
  /** Drops what is held in memory for the workspace: its cached client, its digest schedule. */
  forgetWorkspace(teamId: string): void;
  logger: Logger;
}

/**
 * `app_uninstalled` / `tokens_revoked` (bot): the install's token is deleted, then every row of every
 * workspace it served (an organisation-wide install: each workspace seen under it), queued jobs
 * included, so nothing of theirs runs or is shown again. Idempotent: Slack may deliver both events.
 */
export async function uninstallWorkspace(deps: UninstallDeps, target: UninstallTarget): Promise<void> {
  const { installations, purge, logger } = deps;
  if (await reinstalledSince(installations, target)) {
    // A late redelivery (Slack retries for hours) of an uninstall followed by a reinstall.
    logger.warn('an uninstall older than the current install: nothing deleted');
    return;
  }
  let teams: string[];
  if (target.isEnterpriseInstall && target.enterpriseId) {
    teams = await workspacesServedOnlyBy(installations, target.enterpriseId);
    await installations.delete({ isEnterpriseInstall: true, enterpriseId: target.enterpriseId });
  } else if (target.teamId) {
    teams = [target.teamId];
    await installations.delete({ isEnterpriseInstall: false, teamId: target.teamId });
  } else {
    logger.warn('an uninstall without a team or enterprise id: nothing deleted');
    return;
  }
  for (const teamId of teams) {
    const deleted = await purge.purgeTeam(teamId);
    deps.forgetWorkspace(teamId);
    logger.info('workspace uninstalled: its token and data are deleted', { teamId, rows: deleted });
  }
}

/**
 * The workspaces an organisation-wide install served and no install of their own serves: a workspace
 * that installed the app itself keeps its token and data when its organisation's install goes.
 */
async function workspacesServedOnlyBy(
  installations: InstallationStore,
  enterpriseId: string,
): Promise<string[]> {
  const teams: string[] = [];
  for (const teamId of await installations.workspacesOf(enterpriseId)) {
    if (!(await installations.find({ isEnterpriseInstall: false, teamId }))) teams.push(teamId);
  }
  return teams;
}

async function reinstalledSince(installations: InstallationStore, target: UninstallTarget): Promise<boolean> {
  if (target.eventTime === undefined) return false;
  const key: InstallationKey | undefined =
    target.isEnterpriseInstall && target.enterpriseId
      ? { isEnterpriseInstall: true, enterpriseId: target.enterpriseId }
      : target.teamId
        ? { isEnterpriseInstall: false, teamId: target.teamId }
        : undefined;
  const install = key && (await installations.find(key));
  // Slack's event_time is in whole seconds: only an install written in a later second is a reinstall,
  // so a real uninstall always deletes.
  return install?.updatedAt !== undefined && install.updatedAt >= target.eventTime + 1_000;
}
