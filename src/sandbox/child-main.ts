import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from '../core/sandbox/sandbox.js';
import { DuckDBSession } from './duckdb-session.js';
import { parseSqlIn, parseYamlDocuments } from './parsers.js';
import { type ChildReply, type ChildRequest, LIMITS_ENV } from './protocol.js';

/**
 * Why this file exists: the entry of the sandbox child process. It holds the DuckDB sessions and the
 * parsers, so their memory, their CPU and any crash stay out of the bot's process. The bot gives each
 * child one session at a time (or the parsers), so a crash or a kill ends only that one. It exits when the
 * bot disconnects (idle, shutdown, or the bot itself died) and when its memory passes the watchdog's cap.
 */

const limits: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS, ...JSON.parse(process.env[LIMITS_ENV] ?? '{}') };
const sessions = new Map<string, DuckDBSession>();

/** No reply may be larger than this (JSON characters): every part is capped, this is the backstop. */
const MAX_REPLY_CHARS = 1_000_000;

function send(message: ChildReply): void {
  const size = JSON.stringify(message).length;
  if (size > MAX_REPLY_CHARS && message.type === 'reply') {
    const error = `the sandbox's reply was too large (${size} characters; at most ${MAX_REPLY_CHARS})`;
    process.send?.({ type: 'reply', id: message.id, ok: false, error } satisfies ChildReply);
    return;
  }
  process.send?.(message);
}

async function handle(request: ChildRequest): Promise<ChildReply> {
  switch (request.type) {
    case 'open': {
      sessions.set(request.sessionId, await DuckDBSession.open(limits));
      return { type: 'reply', id: request.id, ok: true };
    }
    case 'run': {
      const session = sessions.get(request.sessionId);
      if (!session) return { type: 'reply', id: request.id, ok: false, error: 'unknown session' };
      return { type: 'reply', id: request.id, ok: true, report: await session.run(request.sql) };
    }
    case 'describe-tables': {
      const session = sessions.get(request.sessionId);
      if (!session) return { type: 'reply', id: request.id, ok: false, error: 'unknown session' };
      return { type: 'reply', id: request.id, ok: true, tables: await session.describeTables() };
    }
    case 'load-files': {
      const session = sessions.get(request.sessionId);
      if (!session) return { type: 'reply', id: request.id, ok: false, error: 'unknown session' };
      return { type: 'reply', id: request.id, ok: true, files: await session.loadFiles(request.files) };
    }
    case 'close': {
      sessions.get(request.sessionId)?.close();
      sessions.delete(request.sessionId);
      const rssMb = Math.round(process.memoryUsage.rss() / 1_048_576);
      return { type: 'reply', id: request.id, ok: true, rssMb };
    }
    case 'parse-sql': {
      return {
        type: 'reply',
        id: request.id,
        ok: true,
        parse: await parseSqlIn(request.dialect, request.text),
      };
    }
    case 'parse-yaml':
      return { type: 'reply', id: request.id, ok: true, parse: await parseYamlDocuments(request.text) };
  }
}

process.on('message', (request: ChildRequest) => {
  handle(request).then(send, (error: unknown) =>
    send({
      type: 'reply',
      id: request.id,
      ok: false,
      error: error instanceof Error ? (error.message.split('\n')[0] ?? 'error') : String(error),
    }),
  );
});

// The bot went away (idle end, shutdown, or it died): nothing here may outlive it.
process.on('disconnect', () => process.exit(0));

// DuckDB's memory_limit bounds its buffers, not every allocation: past this cap the child ends itself.
setInterval(() => {
  const rssMb = process.memoryUsage.rss() / 1_048_576;
  if (rssMb <= limits.maxChildRssMb) return;
  for (const session of sessions.values()) session.interrupt();
  const reason = `the sandbox used ${Math.round(rssMb)} MB (cap ${limits.maxChildRssMb} MB) and was restarted`;
  if (process.send) process.send({ type: 'fatal', reason } satisfies ChildReply, () => process.exit(70));
  else process.exit(70);
}, 250).unref();
