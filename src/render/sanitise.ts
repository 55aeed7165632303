/**
 * Why this file exists: model output is untrusted, and Slack turns `<!channel>`, `<!here>`, `<!everyone>`,
 * `<!subteam^…>` and `<@U…>` in a posted message into real notifications. Everything we post from model text
 * goes through `neutraliseMentions` first, so an answer can never page a channel, a user group or a person.
 * The other direction, `slackTextToPlain`, turns Slack's encoded message text into plain text for the model.
 *
 * The scanner is written so that it can also run on a stream (see mention-safe-stream.ts): every decision at a
 * position depends only on a bounded window after it (a `<…>` token is at most 200 characters) and on the
 * single character before it, so batch and streaming produce exactly the same output.
 */

/** Zero-width space: keeps the text readable while breaking Slack's mention syntax. */
const ZWSP = '\u200B';

/** No neutralised token is longer than this, so a stream never needs to hold back more after a `<`. */
export const MAX_TOKEN_LOOKAHEAD = 200;

/**
 * A complete mention token. Labels and ids are bounded so the whole token fits in MAX_TOKEN_LOOKAHEAD
 * (10 + 32 + 1 + 150 + 1 = 194); a longer or unclosed one is caught by STRAY_OPENER instead.
 * Groups: 1 broadcast keyword, 2 its label, 3 subteam id, 4 subteam label, 5 user id, 6 user label.
 */
const TOKEN =
  /<!(channel|here|everyone)(?:\|([^<>]{0,150}))?>|<!subteam\^([A-Z0-9]{1,32})(?:\|([^<>]{0,150}))?>|<@([UW][A-Z0-9]{0,31})(?:\|([^<>]{0,150}))?>/iy;

/**
 * The start of a labelled mention that did not close as a TOKEN (its label is too long or contains `<`).
 * Left alone, removing a token nested in its label could join it with a later `>` into a live mention
 * (`<!here|<@U1>>`), so its `<` is broken instead.
 */
const STRAY_OPENER = /<(?=!(?:channel|here|everyone)\||!subteam\^[A-Z0-9]{1,32}\||@[UW][A-Z0-9]{0,31}\|)/iy;

/** A bare broadcast word; the character before the `@` is checked separately (it may be in an earlier chunk). */
const BARE_BROADCAST = /@(channel|here|everyone)(?![\p{L}\p{N}])/iuy;

const BARE_FORMS = ['@channel', '@here', '@everyone'];

/**
 * Letters and digits only: `_` is Markdown emphasis, so `_@here_` and `__@channel__` must count as bare
 * broadcasts (neutralising a harmless `a_@here` costs one invisible character).
 */
const WORD_CHAR = /[\p{L}\p{N}]/u;

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && ch !== '' && WORD_CHAR.test(ch);
}

function isHighSurrogate(ch: string | undefined): boolean {
  if (ch === undefined || ch === '') return false;
  const code = ch.charCodeAt(0);
  return code >= 0xd800 && code <= 0xdbff;
}

/** Text shown instead of a mention's label: no leading `@`, and no live broadcast words inside. */
function safeLabel(label: string | undefined): string {
  const trimmed = (label ?? '').trim().replace(/^@+/, '').trim();
  return trimmed === '' ? '' : scanMentions(trimmed, true, '').out;
}

function renderToken(match: RegExpExecArray): string {
  const [, broadcast, , subteamId, subteamLabel, userId, userLabel] = match;
  if (broadcast !== undefined) return `@${ZWSP}${broadcast.toLowerCase()}`;
  if (subteamId !== undefined) return `@${ZWSP}${safeLabel(subteamLabel) || 'group'}`;
  return `@${ZWSP}${safeLabel(userLabel) || (userId ?? 'user')}`;
}

/** True when the `<` at `at` cannot be judged yet: no `<`/`>` follows it and the window is not full. */
function angleUndetermined(text: string, at: number): boolean {
  if (text.length - at >= MAX_TOKEN_LOOKAHEAD) return false;
  for (let j = at + 1; j < text.length; j += 1) {
    const ch = text[j];
    if (ch === '<' || ch === '>') return false;
  }
  return true;
}

/** True when the `@…` tail starting at `at` could still become (or just became) a bare broadcast word. */
function atUndetermined(text: string, at: number): boolean {
  // Check the length first: lower-casing the whole remainder at every `@` made a run of `@` quadratic.
  if (text.length - at > 10) return false;
  const tail = text.slice(at).toLowerCase();
  return BARE_FORMS.some((form) => form.startsWith(tail));
}

export interface MentionScan {
  /** Neutralised text for `text.slice(0, consumed)`. */
  out: string;
  /** How much of the input was decided; with `final` this is all of it. */
  consumed: number;
}

/**
 * The scanner behind `neutraliseMentions` and `MentionSafeStream`. With `final` false it stops before the
 * first position whose outcome depends on text that has not arrived yet. `before` is the input character
 * just before `text` (for the word boundary of bare `@here`), or '' at the start.
 */
export function scanMentions(text: string, final: boolean, before: string): MentionScan {
  let out = '';
  let copied = 0;
  let pos = 0;
  let stop = text.length;
  // The next `<` and `@` at or after `pos`, each searched again only once `pos` has passed it: searching
  // both at every step made `@@@…<` quadratic. The scan stays linear in the input (plus bounded windows).
  let lt = text.indexOf('<');
  let at = text.indexOf('@');
  while (pos < text.length) {
    if (lt >= 0 && lt < pos) lt = text.indexOf('<', pos);
    if (at >= 0 && at < pos) at = text.indexOf('@', pos);
    const next = lt < 0 ? at : at < 0 ? lt : Math.min(lt, at);
    if (next < 0) break;
    if (text[next] === '<') {
      if (!final && angleUndetermined(text, next)) {
        stop = next;
        break;
      }
      TOKEN.lastIndex = next;
      const token = TOKEN.exec(text);
      if (token) {
        out += text.slice(copied, next) + renderToken(token);
        copied = pos = next + token[0].length;
        continue;
      }
      STRAY_OPENER.lastIndex = next;
      if (STRAY_OPENER.test(text)) {
        out += `${text.slice(copied, next)}<${ZWSP}`;
        copied = pos = next + 1;
        continue;
      }
    } else {
      if (!final && atUndetermined(text, next)) {
        stop = next;
        break;
      }
      const prev = next > 0 ? text[next - 1] : before;
      if (!isWordChar(prev)) {
        BARE_BROADCAST.lastIndex = next;
        const bare = BARE_BROADCAST.exec(text);
        if (bare) {
          out += `${text.slice(copied, next)}@${ZWSP}${bare[1] ?? ''}`;
          copied = pos = next + bare[0].length;
          continue;
        }
      }
    }
    pos = next + 1;
  }
  // Never hand out half of a surrogate pair while streaming; it is plain text, so holding it changes nothing.
  if (!final && stop === text.length && stop > copied && isHighSurrogate(text[stop - 1])) stop -= 1;
  out += text.slice(copied, stop);
  return { out, consumed: stop };
}

/**
 * Makes untrusted text unable to notify anyone when posted to Slack. Broadcasts, user-group and user
 * mentions become visible but inert text (`@\u200Bhere`, `@\u200Bdba`, `@\u200Bana`); bare `@channel`,
 * `@here`, `@everyone` get a zero-width space. Channel links, URLs, dates and already-escaped text
 * (`&lt;!here&gt;`) are left alone. Idempotent.
 */
export function neutraliseMentions(text: string): string {
  return scanMentions(text, true, '').out;
}

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&' };

function unescapeSlack(text: string): string {
  return text.replace(/&(?:lt|gt|amp);/g, (entity) => ENTITIES[entity] ?? entity);
}

function plainToken(whole: string, inner: string): string {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? '' : inner.slice(bar + 1).trim();
  if (target.startsWith('@')) return `@${label || target.slice(1)}`;
  if (target.startsWith('#')) return `#${label || target.slice(1)}`;
  if (target.startsWith('!subteam^')) {
    if (label) return label.startsWith('@') ? label : `@${label}`;
    return `@${target.slice('!subteam^'.length)}`;
  }
  if (target.startsWith('!date^')) return label || whole;
  if (target.startsWith('!')) {
    const keyword = target.slice(1);
    return /^(?:channel|here|everyone)$/i.test(keyword)
      ? `@${keyword.toLowerCase()}`
      : label || `@${keyword}`;
  }
  if (/^mailto:/i.test(target)) return label || target.slice('mailto:'.length);
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    const bare = target.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    return !label || label === target || label === bare ? target : `${label} (${target})`;
  }
  return whole;
}

/**
 * Turns Slack's incoming message or command text into plain text for the model: `<@U1|ana>` → `@ana`,
 * `<#C1|data>` → `#data`, `<!subteam^S1|@dba>` → `@dba`, `<!here>` → `@here`, `<https://x|label>` →
 * `label (https://x)`, `<mailto:a@b|a@b>` → `a@b`; then unescapes `&lt;`, `&gt;` and `&amp;`.
 */
export function slackTextToPlain(text: string): string {
  return unescapeSlack(text.replace(/<([^<>\n]*)>/g, (whole, inner: string) => plainToken(whole, inner)));
}
