import { randomBytes } from 'node:crypto';
import { checkBlocks } from './limits.js';
import type { Reply } from './scripting.js';
import type { FakeSlack, Json } from './types.js';
import { fail } from './wire.js';

/** response_url endpoints, as Slack mints them for commands and actions: 5 uses within 30 minutes. */

const RESPONSE_URL_MAX_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;

export class ResponseUrls {
  private readonly urls = new Map<string, { uses: number; createdAt: number }>();

  constructor(private readonly responses: FakeSlack['responses']) {}

  mint(origin: string): string {
    const id = `${this.urls.size + 1}-${randomBytes(6).toString('hex')}`;
    this.urls.set(id, { uses: 0, createdAt: Date.now() });
    return `${origin}/response/${id}`;
  }

  /** A POST to a minted response_url: undefined when accepted (Slack answers a plain `ok`), else the refusal. */
  respond(origin: string, url: URL, raw: string, at: number): Reply | undefined {
    const entry = this.urls.get(url.pathname.slice('/response/'.length));
    if (!entry) return { status: 404, body: fail('invalid_url') };
    if (entry.uses >= RESPONSE_URL_MAX_USES || Date.now() - entry.createdAt > RESPONSE_URL_TTL_MS) {
      return { status: 404, body: fail('expired_url') };
    }
    let body: Json;
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 400, body: fail('invalid_payload') };
    }
    const problem = body?.blocks !== undefined ? checkBlocks(body.blocks) : undefined;
    if (problem) return { status: 400, body: fail(problem) };
    entry.uses += 1;
    this.responses.push({ url: `${origin}${url.pathname}`, body, at });
    return undefined;
  }

  reset(): void {
    this.urls.clear();
  }
}
