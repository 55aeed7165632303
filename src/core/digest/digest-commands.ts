import type { ParsedCommand } from '../parse-command.js';
import { type PermissionDeps, refuseUnlessAdmin } from '../permissions.js';
import type { DigestScheduler } from './digest-scheduler.js';
import { scheduleFor } from './digest-scheduler.js';
import { type DigestDeps, postDigestNow } from './post-digest.js';

export interface DigestCommandDeps extends DigestDeps, PermissionDeps {
  scheduler: DigestScheduler | undefined;
}

type DigestCommand = Extract<
  ParsedCommand,
  { kind: 'digest-show' | 'digest-now' | 'digest-at' | 'digest-switch' }
>;

/**
 * `/data-engineer digest …`. Anyone may see the schedule or see a digest now (privately); posting one
 * in the channel (`digest now --post`) and changing the schedule are for admins and BOT_ADMINS, and
 * schedule changes are logged with who made them.
 */
export async function digestCommand(
  deps: DigestCommandDeps,
  context: { teamId: string; channelId: string; userId: string },
  command: DigestCommand,
): Promise<string> {
  const { teamId, channelId, userId } = context;
  if (command.kind === 'digest-now') {
    if (command.post) {
      const refusal = await refuseUnlessAdmin(deps, userId, 'post a digest in the channel (`--post`)');
      if (refusal) return `${refusal} \`/data-engineer digest now\` shows it to you alone.`;
    }
    return postDigestNow(deps, teamId, channelId, { post: command.post });
  }
  if (command.kind === 'digest-show') return describeSchedule(deps, teamId, channelId);
  const refusal = await refuseUnlessAdmin(deps, userId, 'change the digest schedule');
  if (refusal) return refusal;
  if (command.kind === 'digest-switch') {
    deps.digests.saveDigestSetting(teamId, channelId, { enabled: command.enabled }, userId);
  } else {
    const change = {
      enabled: true,
      time: command.time,
      ...(command.timeZone ? { timeZone: command.timeZone } : {}),
    };
    deps.digests.saveDigestSetting(teamId, channelId, change, userId);
  }
  deps.logger.info('digest schedule changed', { teamId, channelId, by: userId, change: command });
  deps.scheduler?.refresh();
  return describeSchedule(deps, teamId, channelId);
}

function describeSchedule(deps: DigestDeps, teamId: string, channelId: string): string {
  const setting = deps.digests.digestSetting(teamId, channelId);
  if (setting && !setting.enabled) {
    return `The daily digest is *off* in <#${channelId}>. \`/data-engineer digest on\` turns it back on.`;
  }
  const schedule = scheduleFor(setting, deps.defaultSchedule);
  const source = setting?.time || setting?.timeZone ? '' : ' (the default)';
  return `The daily digest for <#${channelId}> posts at *${schedule.time}* ${schedule.timeZone}${source}, on days with something to report. \`/data-engineer digest now\` posts one now.`;
}
