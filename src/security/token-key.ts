import { createHash } from 'node:crypto';

/** A 32-byte AES-256 key and the short id stored next to every value it encrypted (for rotation). */
export interface TokenKey {
  id: string;
  bytes: Buffer;
}

const KEY_BYTES = 32;

/**
 * TOKEN_ENCRYPTION_KEY as bytes: 64 hex characters or base64 of exactly 32 bytes; anything else is
 * undefined, so a wrong-length key stops the start-up instead of encrypting under a weak key.
 */
export function parseTokenKey(value: string): TokenKey | undefined {
  const text = value.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) bytes = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) bytes = Buffer.from(text, 'base64');
  if (!bytes || bytes.length !== KEY_BYTES) return undefined;
  return { id: keyId(bytes), bytes };
}

/** The key's id: 8 hex characters of its SHA-256 (names the key, reveals nothing usable about it). */
function keyId(bytes: Buffer): string {
  return createHash('sha256').update('data-engineer-bot token key').update(bytes).digest('hex').slice(0, 8);
}
