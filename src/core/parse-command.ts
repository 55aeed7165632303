import { z } from 'zod';
import { parseOwnerMention, parseRole } from './collaboration/owner-mention.js';
import { isValidTimeZone, TIME_OF_DAY } from './digest/schedule.js';
import type { CollaborationRole, OwnerRef } from './domain.js';
import { DIGEST_USAGE_TEXT, OWNERS_USAGE_TEXT, TASK_TOO_LONG_TEXT } from './messages.js';

export const MAX_TASK_CHARS = 8_000;

/** Owner changes apply to the whole workspace unless `--channel` is given. */
export type OwnerScope = 'workspace' | 'channel';

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'task'; text: string }
  | { kind: 'owners-show' }
  | { kind: 'owners-set'; role: CollaborationRole; owner: OwnerRef; scope: OwnerScope }
  | { kind: 'owners-clear'; role: CollaborationRole; scope: OwnerScope }
  | { kind: 'requests' }
  | { kind: 'digest-show' }
  | { kind: 'digest-now'; post: boolean }
  | { kind: 'digest-at'; time: string; timeZone?: string }
  | { kind: 'digest-switch'; enabled: boolean }
  | { kind: 'invalid'; message: string };

const commandText = z
  .string()
  .transform((text) => text.trim())
  .pipe(z.string().max(MAX_TASK_CHARS, { message: TASK_TOO_LONG_TEXT }));

/** What the user typed after `/data-engineer`. */
export function parseCommandText(raw: string): ParsedCommand {
  const parsed = commandText.safeParse(raw);
  if (!parsed.success)
    return { kind: 'invalid', message: parsed.error.issues[0]?.message ?? TASK_TOO_LONG_TEXT };
  const text = parsed.data;
  if (text === '' || /^(help|\?|-h|--help)$/i.test(text)) return { kind: 'help' };
  if (/^requests(\s+list)?$/i.test(text)) return { kind: 'requests' };
  const words = tokens(text);
  if (
    words[0]?.toLowerCase() === 'digest' &&
    (words.length === 1 || DIGEST_VERBS.has(words[1]?.toLowerCase() ?? ''))
  ) {
    return parseDigestCommand(words.slice(1));
  }
  if (
    words[0]?.toLowerCase() === 'owners' &&
    (words.length === 1 || OWNER_VERBS.has(words[1]?.toLowerCase() ?? ''))
  ) {
    return parseOwnersCommand(words.slice(1));
  }
  return { kind: 'task', text };
}

const OWNER_VERBS = new Set(['show', 'list', 'set', 'clear']);
const DIGEST_VERBS = new Set(['now', 'at', 'on', 'off']);

/** `digest`, `digest now [--post]`, `digest at HH:MM [Area/City]`, `digest on`, `digest off`. */
function parseDigestCommand(args: string[]): ParsedCommand {
  const [verb, ...rest] = args.map((a) => a.trim());
  const extra = (usage: string): ParsedCommand => ({
    kind: 'invalid',
    message: `\`digest ${verb}\` takes ${usage}. ${DIGEST_USAGE_TEXT}`,
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
    default: {
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
  }
}

/** `europe/berlin` → `Europe/Berlin`, as Intl spells it. */
function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

/** Words, keeping a Slack mention token (`<@U1|Ana Smith>`) whole even if its label has spaces. */
function tokens(text: string): string[] {
  return text.match(/<[^<>]*>|\S+/g) ?? [];
}

/** `owners`, `owners set <role> <@user|@group> [--channel]`, `owners clear <role> [--channel]`. */
function parseOwnersCommand(args: string[]): ParsedCommand {
  const verb = args[0]?.toLowerCase();
  if (verb === undefined || verb === 'show' || verb === 'list') {
    return args.length <= 1 ? { kind: 'owners-show' } : { kind: 'invalid', message: OWNERS_USAGE_TEXT };
  }
  const flags = args.filter((a) => a.startsWith('--'));
  const unknownFlag = flags.find((f) => f.toLowerCase() !== '--channel');
  if (unknownFlag) {
    return {
      kind: 'invalid',
      message: `I don't know the option \`${unknownFlag.slice(0, 30)}\`. ${OWNERS_USAGE_TEXT}`,
    };
  }
  const scope: OwnerScope = flags.length > 0 ? 'channel' : 'workspace';
  const [roleWord, ...rest] = args.slice(1).filter((a) => !a.startsWith('--'));
  const role = parseRole(roleWord);
  if (!role.ok) return { kind: 'invalid', message: role.message };
  if (verb === 'clear') {
    return rest.length === 0
      ? { kind: 'owners-clear', role: role.value, scope }
      : {
          kind: 'invalid',
          message: `\`owners clear\` takes only a role, e.g. \`/data-engineer owners clear ${role.value}\`.`,
        };
  }
  if (rest.length > 1) {
    return {
      kind: 'invalid',
      message: `One owner per role: a person or a user group. To reach several people, create a Slack user group and set it, e.g. \`/data-engineer owners set ${role.value} @${role.value}-team\`.`,
    };
  }
  const owner = parseOwnerMention(rest[0] ?? '', role.value);
  if (!owner.ok) return { kind: 'invalid', message: owner.message };
  return { kind: 'owners-set', role: role.value, owner: owner.value, scope };
}
