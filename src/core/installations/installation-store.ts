/**
 * Where the bot's installs live (OAuth v2, several workspaces). A workspace install is found by its
 * team id; an Enterprise Grid organisation-wide install by its enterprise id and serves every
 * workspace of the organisation (each workspace's data is still scoped by its own team_id).
 * Async from the start: the store ports are moving to async (PostgreSQL).
 */
export interface WorkspaceInstallation {
  /** Set for an organisation-wide install, and for a workspace install inside an organisation. */
  enterpriseId: string | undefined;
  /** Undefined for an organisation-wide install. */
  teamId: string | undefined;
  isEnterpriseInstall: boolean;
  appId: string | undefined;
  botToken: string;
  botId: string;
  botUserId: string;
  botScopes: readonly string[];
  installerUserId: string | undefined;
  url: string | undefined;
  /** When the install was last written (Unix ms), as read back from the store. */
  updatedAt?: number;
}

/** Which install: a workspace's own (by team) or an organisation's (by enterprise). */
export type InstallationKey =
  | { isEnterpriseInstall: false; teamId: string }
  | { isEnterpriseInstall: true; enterpriseId: string };

export interface InstallationStore {
  /** Inserts the install, or updates it on a reinstall (new token, scopes, installer). */
  save(installation: WorkspaceInstallation): Promise<void>;
  find(key: InstallationKey): Promise<WorkspaceInstallation | undefined>;
  /** The install serving a workspace: its own, else its organisation's (when one was seen). */
  findForTeam(teamId: string): Promise<WorkspaceInstallation | undefined>;
  /** Remembers that a workspace belongs to an organisation (events carry both ids, jobs only the team). */
  linkWorkspace(teamId: string, enterpriseId: string): Promise<void>;
  /** The workspaces seen under an organisation-wide install (whose data its uninstall deletes). */
  workspacesOf(enterpriseId: string): Promise<string[]>;
  /** Every workspace served by an install, for per-workspace schedules (digests). */
  installedTeams(): Promise<string[]>;
  delete(key: InstallationKey): Promise<void>;
}

/** Deletes everything stored for one workspace, in every table that holds a team_id. */
export interface WorkspaceDataPurge {
  /** Returns how many rows were deleted, per table (for the log). */
  purgeTeam(teamId: string): Promise<Record<string, number>>;
}

/** The installation row key: one per workspace install, one per organisation-wide install. */
export function installationKeyOf(key: InstallationKey): string {
  return key.isEnterpriseInstall ? `E:${key.enterpriseId}` : `T:${key.teamId}`;
}
