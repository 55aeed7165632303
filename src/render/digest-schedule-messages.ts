import type { Schedule } from '../core/digest/schedule.js';

/** The replies of `/data-engineer digest …`. */

export function digestOffText(channelId: string): string {
  return `The daily digest is *off* in <#${channelId}>. \`/data-engineer digest on\` turns it back on.`;
}

/** `isDefault`: neither the time nor the zone was set for this channel. */
export function digestScheduleText(channelId: string, schedule: Schedule, isDefault: boolean): string {
  const source = isDefault ? ' (the default)' : '';
  return `The daily digest for <#${channelId}> posts at *${schedule.time}* ${schedule.timeZone}${source}, on days with something to report. \`/data-engineer digest now\` posts one now.`;
}

/** A non-admin asked for `digest now --post`: the refusal, and what they can do instead. */
export function postRefusedText(refusal: string): string {
  return `${refusal} \`/data-engineer digest now\` shows it to you alone.`;
}
