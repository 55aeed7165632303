import { neutraliseMentions } from '../../render/index.js';
import { COLLABORATION_ROLES, type CollaborationRole, type OwnerRef } from '../domain.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const USER = /^<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>$/;
const GROUP = /^<!subteam\^(S[A-Z0-9]{2,})(?:\|[^<>]*)?>$/;
const BROADCAST = /^(?:<!(channel|here|everyone)(?:\|[^<>]*)?>|@(channel|here|everyone))$/i;
const CHANNEL = /^<#C[A-Z0-9]+(?:\|[^<>]*)?>$/;

/**
 * Reads an owner from what Slack sends for an escaped slash command (`should_escape: true`):
 * `<@U…|name>` or `<@U…>` for a person, `<!subteam^S…|@handle>` or `<!subteam^S…>` for a user group.
 * Anything else gets a message that says what was wrong and what to type instead.
 */
export function parseOwnerMention(raw: string, role: CollaborationRole): Parsed<OwnerRef> {
  const text = raw.trim();
  const example = `\`/data-engineer owners set ${role} @someone\``;
  const user = USER.exec(text);
  if (user?.[1]) return { ok: true, value: { kind: 'user', id: user[1] } };
  const group = GROUP.exec(text);
  if (group?.[1]) return { ok: true, value: { kind: 'group', id: group[1] } };
  const broadcast = BROADCAST.exec(text);
  if (broadcast) {
    const word = (broadcast[1] ?? broadcast[2] ?? '').toLowerCase();
    return {
      ok: false,
      message: `An owner must be one person or a user group, not @${word}: I would ping everyone. Try ${example} or a group like \`@data-platform-team\`.`,
    };
  }
  if (CHANNEL.test(text)) {
    return {
      ok: false,
      message: `That is a channel. An owner must be a person or a user group, e.g. ${example}.`,
    };
  }
  if (text === '') {
    return { ok: false, message: `Who should own ${role}? Add a person or a user group: ${example}.` };
  }
  return {
    ok: false,
    message: `I couldn't find a Slack user or group in “${neutraliseMentions(text.slice(0, 80))}”. Pick them from the @ suggestions as you type, so Slack sends me their ID: ${example}.`,
  };
}

/** Accepts the four role names in any case. */
export function parseRole(raw: string | undefined): Parsed<CollaborationRole> {
  const role = (raw ?? '').trim().toLowerCase();
  if ((COLLABORATION_ROLES as readonly string[]).includes(role))
    return { ok: true, value: role as CollaborationRole };
  const known = COLLABORATION_ROLES.map((r) => `\`${r}\``).join(', ');
  return {
    ok: false,
    message:
      role === ''
        ? `Which role? Use one of ${known}, e.g. \`/data-engineer owners set security @someone\`.`
        : `I don't know the role “${role.slice(0, 40)}”. Use one of ${known}, e.g. \`/data-engineer owners set security @someone\`.`,
  };
}
