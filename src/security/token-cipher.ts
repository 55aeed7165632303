import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TokenKey } from './token-key.js';

/** A token as stored: which key sealed it, and `iv.tag.ciphertext` in base64url. */
export interface SealedToken {
  keyId: string;
  sealed: string;
}

const IV_BYTES = 12;

/**
 * AES-256-GCM for bot tokens at rest: a random 96-bit IV per value, the 128-bit tag checked on every
 * read (a changed row fails to open instead of yielding a wrong token). The current key seals; the
 * previous key (TOKEN_ENCRYPTION_KEY_PREVIOUS) only opens, while rows are rewritten under the new one.
 */
export class TokenCipher {
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly current: TokenKey,
    previous?: TokenKey,
  ) {
    this.keys = new Map([[current.id, current.bytes]]);
    if (previous && previous.id !== current.id) this.keys.set(previous.id, previous.bytes);
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plain: string, context: string): SealedToken {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv);
    // The row's key (team/enterprise) is bound in: a sealed token copied into another row does not open.
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const sealed = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
    return { keyId: this.current.id, sealed };
  }

  /** The plain token; throws when the key is unknown or the value was changed. */
  open(token: SealedToken, context: string): string {
    const key = this.keys.get(token.keyId);
    if (!key)
      throw new Error(
        `token sealed under an unknown key (${token.keyId}): set TOKEN_ENCRYPTION_KEY_PREVIOUS`,
      );
    const [iv, tag, body] = token.sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
    if (!iv || !tag || !body) throw new Error('sealed token is malformed');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  }
}
