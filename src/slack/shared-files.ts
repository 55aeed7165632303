import { Readable } from 'node:stream';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { SharedFileInfo, SharedFileSource } from '../core/files/thread-files.js';
import { type SlackCall, type SlackCallPolicy, slackCaller } from './slack-calls.js';
import { slackErrorCode } from './slack-errors.js';

/**
 * Why this file exists: files people share, read with the bot token (`files:read`). files.info goes
 * through the Web API client (so SLACK_API_URL reaches it); the bytes come from `url_private_download`
 * with `Authorization: Bearer <bot token>`, and ONLY when that URL is on Slack's file host
 * (https://files.slack.com for slack.com; the API's own origin when SLACK_API_URL points elsewhere, as in
 * tests). Redirects are not followed (Slack answers a bad token with a 302 to its login page; a redirect
 * elsewhere would carry nothing of ours anyway, but is refused too), so the token never leaves that host.
 */

const fileSchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  title: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  url_private_download: z.string().optional(),
  channels: z.array(z.string()).optional(),
  groups: z.array(z.string()).optional(),
  ims: z.array(z.string()).optional(),
  shares: z
    .object({
      public: z.record(z.string(), z.unknown()).optional(),
      private: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

/** A download that has not finished after this long is abandoned. */
const DOWNLOAD_TIMEOUT_MS = 120_000;

/** Where Slack serves file bytes for an API base URL. */
export function slackFileOrigin(apiUrl: string): string {
  const api = new URL(apiUrl);
  for (const domain of ['slack.com', 'slack-gov.com']) {
    if (api.protocol === 'https:' && (api.hostname === domain || api.hostname.endsWith(`.${domain}`)))
      return `https://files.${domain}`;
  }
  return api.origin;
}

export class SlackSharedFiles implements SharedFileSource {
  private readonly call: SlackCall;
  private readonly fileOrigin: string;

  constructor(
    private readonly client: WebClient,
    /** The bot token file downloads carry: the current workspace's, read at each download. */
    private readonly botToken: () => string,
    apiUrl: string,
    policy?: SlackCallPolicy,
  ) {
    this.call = slackCaller(policy);
    this.fileOrigin = slackFileOrigin(apiUrl);
  }

  async info(fileId: string): Promise<{ ok: true; file: SharedFileInfo } | { ok: false; error: string }> {
    let response: unknown;
    try {
      response = await this.call(() => this.client.files.info({ file: fileId }), { idempotent: true });
    } catch (error) {
      return { ok: false, error: slackErrorCode(error) ?? 'request_failed' };
    }
    const parsed = fileSchema.safeParse((response as { file?: unknown }).file);
    if (!parsed.success) return { ok: false, error: 'invalid_response' };
    const f = parsed.data;
    const sharedIn = [
      ...(f.channels ?? []),
      ...(f.groups ?? []),
      ...(f.ims ?? []),
      ...Object.keys(f.shares?.public ?? {}),
      ...Object.keys(f.shares?.private ?? {}),
    ];
    return {
      ok: true,
      file: {
        id: f.id,
        name: f.name ?? f.title ?? f.id,
        size: f.size ?? 0,
        sharedIn,
        downloadUrl: f.url_private_download,
      },
    };
  }

  async open(file: SharedFileInfo, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const url = file.downloadUrl ? safeUrl(file.downloadUrl) : undefined;
    if (!url || url.origin !== this.fileOrigin) {
      throw new Error("the download address is not on Slack's file host");
    }
    const timeout = AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS);
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${this.botToken()}` },
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      const redirected = response.status >= 300 && response.status < 400;
      throw new Error(
        redirected ? 'Slack redirected the download (the bot may lack access)' : `HTTP ${response.status}`,
      );
    }
    return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
