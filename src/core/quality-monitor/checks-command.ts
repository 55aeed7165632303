import { CHECKS_TEXT, checkListText } from '../../render/quality-check-messages.js';
import type { CollaborationStore } from '../collaboration/collaboration-store.js';
import { isTeamAdmin, type PermissionDeps } from '../permissions.js';
import { defineSubCommand } from '../sub-command.js';
import { CHECK_NAME } from './check-definition.js';
import { nextSlot } from './check-schedule.js';
import type { QualityCheckStore } from './check-store.js';
import { passRate } from './pass-rates.js';

export interface ChecksCommandDeps extends PermissionDeps {
  qualityChecks: QualityCheckStore;
  collaboration: Pick<CollaborationStore, 'effectiveOwners'>;
  /** The scheduler's clock: pass-rate windows and resumes are read by it. */
  checkClock: () => Date;
}

type ChecksArgs = { kind: 'list' } | { kind: 'pause' | 'resume' | 'delete'; name: string };

const DAY = 86_400_000;

/**
 * `/data-engineer checks`: this channel's adopted checks with their latest result, next run and pass
 * rates; `checks pause|resume|delete <name>` for admins and the person who adopted the check.
 */
export const checksSubCommand = defineSubCommand<ChecksArgs, ChecksCommandDeps>({
  name: 'checks',
  usage: [
    '`/data-engineer checks` lists this channel’s scheduled data-quality checks: latest result, next run, pass rate',
    '`/data-engineer checks pause|resume|delete <name>` (admins, the channel’s QA owner and the check’s adopter)',
  ],
  parse: (args) => {
    if (args.length === 0) return { kind: 'list' };
    const verb = args[0]?.toLowerCase();
    if (verb !== 'pause' && verb !== 'resume' && verb !== 'delete') {
      // "checks for the orders table" is a task about checks, not this command.
      return undefined;
    }
    const name = args[1]?.replace(/^`|`$/g, '').toLowerCase() ?? '';
    if (args.length !== 2 || !CHECK_NAME.test(name)) {
      return {
        kind: 'invalid',
        message: `Usage: \`/data-engineer checks ${verb} <name>\` (a name from \`/data-engineer checks\`).`,
      };
    }
    return { kind: verb, name };
  },
  run: async (deps, { teamId, channelId, userId }, args) => {
    const store = deps.qualityChecks;
    const now = deps.checkClock();
    if (args.kind === 'list') {
      const checks = await Promise.all(
        (await store.checksIn(teamId, channelId)).map(async (check) => {
          const runs = await store.runs(teamId, check.id, new Date(now.getTime() - 30 * DAY));
          const finished = runs.filter((run) => run.result && run.result.kind !== 'error');
          // A failure marked a false positive was the check's fault, not the data's: it counts as passed.
          const outcomes = finished.map((run) => ({
            at: run.slotAt,
            passed: run.result?.kind === 'passed' || run.falsePositive,
          }));
          return {
            check,
            latest: runs.at(-1),
            next:
              check.state === 'active'
                ? nextSlot(check.schedule, check.timeZone, check.lastSlotAt)
                : undefined,
            week: passRate(outcomes, now, 7),
            month: passRate(outcomes, now, 30),
          };
        }),
      );
      return checkListText(checks);
    }
    const check = await store.byName(teamId, channelId, args.name);
    if (!check) return CHECKS_TEXT.unknown(args.name);
    const qa = (await deps.collaboration.effectiveOwners(teamId, channelId)).get('qa');
    const mayChange =
      check.adoptedBy === userId ||
      (qa?.kind === 'user' && qa.id === userId) ||
      (await isTeamAdmin(deps, userId));
    if (!mayChange) return CHECKS_TEXT.notAllowed;
    if (args.kind === 'delete') {
      await store.remove(teamId, check.id);
      return CHECKS_TEXT.deleted(check.name);
    }
    if (args.kind === 'pause') {
      if (check.state === 'paused') return CHECKS_TEXT.alreadyPaused(check.name);
      await store.setState(teamId, check.id, 'paused');
      return CHECKS_TEXT.paused(check.name);
    }
    if (check.state === 'active') return CHECKS_TEXT.alreadyActive(check.name);
    // Resumed from now: the slots it missed while paused are not run.
    await store.setState(teamId, check.id, 'active', {
      at: now,
      nextSlotAt: nextSlot(check.schedule, check.timeZone, now),
    });
    return CHECKS_TEXT.resumed(check.name);
  },
});
