/** Longest name a bot post shows: enough for "Ana María Fernández", too short for a message. */
export const NAME_MAX = 40;

/** A token Slack would turn into a link: a scheme (https://, mailto:), www., or an e-mail address. */
const LINK_TOKEN = /\S*(?:[a-z][a-z0-9+.-]*:\/\/|\bwww\.|\bmailto:|[^\s@]+@[^\s@]+)\S*/gi;
/** A bare domain ("evil.example", "j.smith"): Slack auto-links many of these. */
const DOTTED = /([\p{L}\p{N}_-])\.(?=[\p{L}\p{N}_-])/gu;

/**
 * A display name made inert for a bot post: people choose their own names, so a name like
 * "IT: re-login at https://evil.example" must not become a link, formatting or a mention in a
 * message the bot signs. Link-like tokens are dropped, dots between letters become a one-dot leader
 * (looks the same, never links), markup and angle brackets go, and the result is at most NAME_MAX
 * characters. May return '' (the caller falls back to a neutral name).
 */
export function inertName(name: string): string {
  const text = name
    .normalize('NFKC')
    .replace(LINK_TOKEN, ' ')
    .replace(DOTTED, '$1\u2024')
    .replace(/[*_~`<>&|@\\[\]]/g, ' ')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  return chars.length > NAME_MAX
    ? `${chars
        .slice(0, NAME_MAX - 1)
        .join('')
        .trimEnd()}…`
    : text;
}
