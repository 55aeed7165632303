import { dirname } from 'node:path';
import { DuckDbEngine, Refused, TimedOut } from './duckdb-engine.js';
import {
  DUCKDB_SETTINGS_ENV,
  type DuckDbChildSettings,
  type DuckDbReply,
  type DuckDbRequest,
} from './duckdb-protocol.js';

/**
 * Why this file exists: the entry of a DuckDB source's child process. DuckDB's memory (~105 MB loaded,
 * up to memory_limit while querying), its CPU and any crash stay out of the bot's process; the bot kills
 * this process when a reply is late and starts a fresh one on the next call. It exits when the bot
 * disconnects and when its memory passes the cap.
 */

const settings = JSON.parse(process.env[DUCKDB_SETTINGS_ENV] ?? '{}') as DuckDbChildSettings;
const opening = DuckDbEngine.open(settings);

/** The configured paths and their folders, removed from any message (the engine scrubs its own too). */
const secrets = [
  ...new Set(Object.values(settings.paths ?? {}).flatMap((p) => [p, dirname(p)].filter((s) => s.length > 1))),
].sort((a, b) => b.length - a.length);
const scrub = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('<file>'), text);

function send(reply: DuckDbReply): void {
  process.send?.(reply);
}

async function handle(request: DuckDbRequest): Promise<DuckDbReply> {
  const engine = await opening;
  switch (request.op) {
    case 'query':
      return { id: request.id, ok: true, ...(await engine.query(request.sql, request.maxRows)) };
    case 'explain':
      return { id: request.id, ok: true, ...(await engine.explain(request.sql, request.analyze)) };
    case 'internal':
      return { id: request.id, ok: true, ...(await engine.internal(request.sql)) };
    case 'views':
      return { id: request.id, ok: true, views: engine.views };
  }
}

process.on('message', (request: DuckDbRequest) => {
  handle(request).then(send, (error: unknown) =>
    send({
      id: request.id,
      ok: false,
      error: scrub(error instanceof Error ? (error.message.split('\n')[0] ?? 'error') : 'error'),
      ...(error instanceof Refused ? { refused: true } : {}),
      ...(error instanceof TimedOut ? { timedOut: true } : {}),
    }),
  );
});

opening.catch(() => {
  // Reported on each request (the engine promise rejects there); the bot then ends this process.
});

process.on('disconnect', () => process.exit(0));

// DuckDB's memory_limit bounds its buffers, not every allocation: past this cap the child ends itself.
setInterval(() => {
  const rssMb = process.memoryUsage.rss() / 1_048_576;
  if (rssMb <= settings.maxRssMb) return;
  const reason = `the DuckDB process used ${Math.round(rssMb)} MB (cap ${settings.maxRssMb} MB) and was stopped`;
  send({ id: -1, ok: false, fatal: reason });
  setTimeout(() => process.exit(70), 50);
}, 250).unref();
