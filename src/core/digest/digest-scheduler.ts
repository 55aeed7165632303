import { Cron } from 'croner';
import { errorSummary } from '../errors.js';
import type { DigestSetting } from './digest-facts.js';
import type { DigestDeps } from './post-digest.js';
import { cronPattern, dueDigest, type Schedule } from './schedule.js';
import { postScheduledDigest } from './scheduled-digest.js';

/** How far back a channel's activity makes it a digest candidate (a day, plus DST and downtime slack). */
const CANDIDATE_WINDOW_MS = 48 * 3_600_000;

/** A channel's effective schedule: its own setting where it has one, the configured default elsewhere. */
export function scheduleFor(setting: DigestSetting | undefined, defaults: Schedule): Schedule {
  return { time: setting?.time ?? defaults.time, timeZone: setting?.timeZone ?? defaults.timeZone };
}

/**
 * Posts each channel's digest once per local day. Croner runs one job per distinct schedule
 * (time + zone); whichever fires, `runDue` looks at every candidate channel and posts the ones whose
 * time has passed today and that have no run yet. Start-up runs it once, which posts a digest missed
 * while the bot was down (same local day only).
 */
export class DigestScheduler {
  private readonly jobs = new Map<string, Cron>();
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: DigestDeps,
    private readonly teamId: string,
    private readonly track: (name: string, work: Promise<void>) => void,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.trigger();
  }

  /** Re-reads the schedules (after `digest at/on/off`) and keeps one job per distinct one. */
  async refresh(): Promise<void> {
    const wanted = new Map<string, Schedule>();
    const add = (schedule: Schedule) => wanted.set(`${schedule.time} ${schedule.timeZone}`, schedule);
    add(this.deps.defaultSchedule);
    for (const setting of await this.deps.digests.digestSettings(this.teamId)) {
      if (setting.enabled) add(scheduleFor(setting, this.deps.defaultSchedule));
    }
    for (const [key, job] of this.jobs) {
      if (!wanted.has(key)) {
        job.stop();
        this.jobs.delete(key);
      }
    }
    for (const [key, schedule] of wanted) {
      if (this.jobs.has(key)) continue;
      const job = new Cron(cronPattern(schedule.time), { timezone: schedule.timeZone, protect: true }, () =>
        this.trigger(),
      );
      this.jobs.set(key, job);
    }
  }

  /** Looks for due digests in the background; looks never overlap. */
  trigger(): void {
    this.running = this.running.then(async () => {
      await this.runDue().catch((error: unknown) =>
        this.deps.logger.error('digest run failed', { error: errorSummary(error) }),
      );
    });
    this.track('digests', this.running);
  }

  /** Posts every digest due at `now`. Returns what happened per channel (for tests and logs). */
  async runDue(now = new Date()): Promise<Map<string, string>> {
    const outcomes = new Map<string, string>();
    for (const channelId of await this.deps.digests.digestChannels(
      this.teamId,
      now.getTime() - CANDIDATE_WINDOW_MS,
    )) {
      const setting = await this.deps.digests.digestSetting(this.teamId, channelId);
      if (setting && !setting.enabled) continue;
      const schedule = scheduleFor(setting, this.deps.defaultSchedule);
      const due = dueDigest(schedule, now);
      if (!due) continue;
      const outcome = await postScheduledDigest(this.deps, this.teamId, channelId, due, schedule.timeZone);
      this.deps.metrics?.digestRun(outcome);
      outcomes.set(channelId, outcome);
    }
    return outcomes;
  }

  stop(): void {
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
  }
}
