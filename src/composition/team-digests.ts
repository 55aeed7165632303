import { DigestScheduler } from '../core/digest/digest-scheduler.js';
import type { DigestDeps } from '../core/digest/post-digest.js';
import type { WorkspaceClients } from '../slack/workspaces.js';

/** One workspace's digest scheduler whose runs are that workspace's work (its token posts them). */
class WorkspaceDigestScheduler extends DigestScheduler {
  constructor(
    deps: DigestDeps,
    private readonly workspaceTeamId: string,
    private readonly trackWork: (name: string, work: Promise<void>) => void,
    private readonly workspaces: WorkspaceClients,
  ) {
    super(deps, workspaceTeamId, trackWork);
  }

  override trigger(): void {
    // The run is chained inside the scope, so it (and the Slack calls it makes) belongs to this team.
    this.trackWork(
      'digests',
      this.workspaces.run(this.workspaceTeamId, async () => super.trigger()),
    );
  }
}

/**
 * The daily digests with the OAuth install: one scheduler per installed workspace, added on install,
 * dropped on uninstall. `refresh` (after `digest at/on/off`) refreshes the current workspace's.
 *
 * With several instances an install or uninstall reaches only the instance that handled it, so each
 * instance also reads the installed workspaces again every `syncEveryMs` (a minute): every instance
 * schedules every workspace (each digest is claimed in the database before it is posted, so once).
 */
export class WorkspaceDigestSchedulers {
  private readonly schedulers = new Map<string, DigestScheduler>();
  private started = false;
  private syncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: DigestDeps,
    private readonly workspaces: WorkspaceClients,
    private readonly installedTeams: () => Promise<string[]>,
    private readonly track: (name: string, work: Promise<void>) => void,
    private readonly syncEveryMs = 60_000,
  ) {}

  async start(): Promise<void> {
    this.started = true;
    // Tracked, so a digest missed while the bot was down is part of "idle" (and of a graceful stop).
    this.track('digests', this.sync());
    this.syncTimer = setInterval(() => this.track('digests', this.sync()), this.syncEveryMs);
    this.syncTimer.unref();
  }

  /** Schedules the workspaces installed since (through any instance), drops the ones uninstalled. */
  private async sync(): Promise<void> {
    const teams = new Set(await this.installedTeams());
    for (const teamId of teams) await this.add(teamId);
    for (const teamId of [...this.schedulers.keys()]) if (!teams.has(teamId)) this.remove(teamId);
  }

  async add(teamId: string): Promise<void> {
    if (!this.started || this.schedulers.has(teamId)) return;
    const scheduler = new WorkspaceDigestScheduler(this.deps, teamId, this.track, this.workspaces);
    this.schedulers.set(teamId, scheduler);
    await scheduler.start();
  }

  remove(teamId: string): void {
    this.schedulers.get(teamId)?.stop();
    this.schedulers.delete(teamId);
  }

  async refresh(): Promise<void> {
    const teamId = this.workspaces.currentTeamId();
    if (!teamId) return;
    const scheduler = this.schedulers.get(teamId);
    if (scheduler) await scheduler.refresh();
    else await this.add(teamId);
  }

  stop(): void {
    this.started = false;
    if (this.syncTimer) clearInterval(this.syncTimer);
    for (const scheduler of this.schedulers.values()) scheduler.stop();
    this.schedulers.clear();
  }
}
