import type { SlackState } from './state.js';

/**
 * Slack's file host for `url_private` / `url_private_download` (`GET /files-pri/<team>-<file>/…`): the
 * bytes only with `Authorization: Bearer <token>` of the workspace; without it (or with a bad one) Slack
 * answers a 302 to its sign-in page rather than an error, which a client that follows redirects would
 * read as an HTML page. A deleted or unknown file is 404.
 */
export function serveFile(
  state: SlackState,
  url: URL,
  authorization: string | undefined,
): { status: number; headers: Record<string, string>; body?: Buffer | string } {
  const id = /^\/files-pri\/[A-Z0-9]+-(F[A-Z0-9]+)\//.exec(url.pathname)?.[1];
  const file = id ? state.files.get(id) : undefined;
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token?.startsWith('xox')) {
    return {
      status: 302,
      headers: { location: `${state.origin}/?redirect=${encodeURIComponent(url.pathname)}` },
    };
  }
  if (!file || file.deleted || !file.bytes)
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
  if (file.redirectTo) return { status: 302, headers: { location: file.redirectTo } };
  return {
    status: 200,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(file.bytes.length) },
    body: file.bytes,
  };
}
