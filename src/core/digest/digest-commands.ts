import { digestOffText, digestScheduleText, postRefusedText } from '../../render/digest-schedule-messages.js';
import { type PermissionDeps, refuseUnlessAdmin } from '../permissions.js';
import { type CommandContext, defineSubCommand, type InvalidCommand, usageText } from '../sub-command.js';
import type { DigestScheduler } from './digest-scheduler.js';
import { scheduleFor } from './digest-scheduler.js';
import { type DigestDeps, postDigestNow } from './post-digest.js';
import { isValidTimeZone, TIME_OF_DAY } from './schedule.js';

export type DigestCommandDeps = DigestDeps &
  PermissionDeps & {
    /** Re-reads the schedules after a change (with several workspaces: the current workspace's). */
    scheduler: Pick<DigestScheduler, 'refresh'> | undefined;
  };

export type DigestArgs =
  | { kind: 'digest-show' }
  | { kind: 'digest-now'; post: boolean }
  | { kind: 'digest-at'; time: string; timeZone?: string }
  | { kind: 'digest-switch'; enabled: boolean };

/** `/data-engineer digest …`: every form reads or writes the store or Slack, so it answers after the ack. */
export const digestSubCommand = defineSubCommand<DigestArgs, DigestCommandDeps>({
  name: 'digest',
  usage: [
    '`/data-engineer digest` shows when this channel’s daily digest posts',
    '`/data-engineer digest now` shows you (only you) the last 24 hours here; admins add `--post` to post it',
    '`/data-engineer digest at 08:30 [Europe/Berlin]` sets the daily time (and time zone)',
    '`/data-engineer digest off` / `digest on` stops or resumes it',
  ],
  parse: (args) =>
    args.length === 0 || DIGEST_VERBS.has(args[0]?.toLowerCase() ?? '') ? parseDigestArgs(args) : undefined,
  run: (deps, context, args) => digestCommand(deps, context, args),
});

const DIGEST_VERBS = new Set(['now', 'at', 'on', 'off']);

/** `digest`, `digest now [--post]`, `digest at HH:MM [Area/City]`, `digest on`, `digest off`. */
function parseDigestArgs(args: string[]): DigestArgs | InvalidCommand {
  const [verb, ...rest] = args.map((a) => a.trim());
  const extra = (usage: string): InvalidCommand => ({
    kind: 'invalid',
    message: `\`digest ${verb}\` takes ${usage}. ${usageText(digestSubCommand)}`,
  });
  switch (verb?.toLowerCase()) {
    case undefined:
      return { kind: 'digest-show' };
    case 'now':
      if (rest.length === 0) return { kind: 'digest-now', post: false };
      // Smart punctuation turns `--post` into `—post` (em dash) or `–post` (en dash); some type `-post`.
      return rest.length === 1 && /^(?:--|-|—|–)post$/i.test(rest[0] ?? '')
        ? { kind: 'digest-now', post: true }
        : extra('nothing after it, or `--post` (admins) to post it in the channel');
    case 'on':
    case 'off':
      return rest.length === 0
        ? { kind: 'digest-switch', enabled: verb?.toLowerCase() === 'on' }
        : extra('nothing after it');
    default:
      return parseDigestAt(rest, extra);
  }
}

/** `digest at HH:MM [Area/City]`: the time normalised to HH:MM, the zone as Intl spells it. */
function parseDigestAt(
  rest: string[],
  extra: (usage: string) => InvalidCommand,
): DigestArgs | InvalidCommand {
  const [time, zone, ...more] = rest;
  if (!time || more.length > 0)
    return extra('a time and optionally a time zone, e.g. `digest at 08:30 Europe/Berlin`');
  const match = TIME_OF_DAY.exec(time);
  if (!match) {
    return {
      kind: 'invalid',
      message: `“${time.slice(0, 20)}” isn't a time of day. Use 24-hour HH:MM, e.g. \`/data-engineer digest at 08:30\` or \`digest at 17:45 America/New_York\`.`,
    };
  }
  if (zone !== undefined && !isValidTimeZone(zone)) {
    return {
      kind: 'invalid',
      message: `I don't know the time zone “${zone.slice(0, 40)}”. Use an IANA name such as \`Europe/Berlin\`, \`America/New_York\` or \`Asia/Tokyo\`.`,
    };
  }
  const normalised = `${match[1]?.padStart(2, '0')}:${match[2]}`;
  return { kind: 'digest-at', time: normalised, ...(zone ? { timeZone: canonicalZone(zone) } : {}) };
}

/** `europe/berlin` → `Europe/Berlin`, as Intl spells it. */
function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

/**
 * `/data-engineer digest …`. Anyone may see the schedule or see a digest now (privately); posting one
 * in the channel (`digest now --post`) and changing the schedule are for admins and BOT_ADMINS, and
 * schedule changes are logged with who made them.
 */
export async function digestCommand(
  deps: DigestCommandDeps,
  context: CommandContext,
  command: DigestArgs,
): Promise<string> {
  const { teamId, channelId, userId } = context;
  if (command.kind === 'digest-now') {
    if (command.post) {
      const refusal = await refuseUnlessAdmin(deps, userId, 'post a digest in the channel (`--post`)');
      if (refusal) return postRefusedText(refusal);
    }
    return postDigestNow(deps, teamId, channelId, { post: command.post });
  }
  if (command.kind === 'digest-show') return await describeSchedule(deps, teamId, channelId);
  const refusal = await refuseUnlessAdmin(deps, userId, 'change the digest schedule');
  if (refusal) return refusal;
  if (command.kind === 'digest-switch') {
    await deps.digests.saveDigestSetting(teamId, channelId, { enabled: command.enabled }, userId);
  } else {
    const change = {
      enabled: true,
      time: command.time,
      ...(command.timeZone ? { timeZone: command.timeZone } : {}),
    };
    await deps.digests.saveDigestSetting(teamId, channelId, change, userId);
  }
  deps.logger.info('digest schedule changed', { teamId, channelId, by: userId, change: command });
  await deps.scheduler?.refresh();
  return await describeSchedule(deps, teamId, channelId);
}

async function describeSchedule(deps: DigestDeps, teamId: string, channelId: string): Promise<string> {
  const setting = await deps.digests.digestSetting(teamId, channelId);
  if (setting && !setting.enabled) return digestOffText(channelId);
  const isDefault = !(setting?.time || setting?.timeZone);
  return digestScheduleText(channelId, scheduleFor(setting, deps.defaultSchedule), isDefault);
}
