import type { IncomingMessage, ServerResponse } from 'node:http';

/** Too many unverified bytes are held by requests in flight: this one is dropped (503, Slack retries). */
export class Busy extends Error {}

/**
 * Reads a body of at most `limit` bytes. `unverified` counts the bytes all requests hold before their
 * signature is checked; past `maxUnverifiedBytes` this request is dropped (Busy).
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  unverified: { bytes: number },
  maxUnverifiedBytes: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      unverified.bytes -= size;
      return true;
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      unverified.bytes += chunk.length;
      if (size > limit || unverified.bytes > maxUnverifiedBytes) {
        settle();
        reject(size > limit ? new Error('body too large') : new Busy());
        req.pause();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (settle()) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (settle()) reject(error);
    });
    // A request cut off (client gone, or the request timeout) releases what it held.
    req.on('close', () => {
      if (settle()) reject(new Error('closed'));
    });
  });
}

export /**
 * Answers, then closes the connection without keeping the rest of the body: what still arrives is
 * discarded for a moment (closing at once would reset the connection and could lose the answer), then
 * the socket is destroyed.
 */
function refuseAndClose(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(text, () => {
    req.resume();
    setTimeout(() => req.socket.destroy(), 1_000).unref();
  });
}

export function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}
