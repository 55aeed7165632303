import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import { DataSourceError, ReadOnlyRefusal } from '../core/data-sources/data-source.js';
import { safeErrorText, withoutQuotedValues } from './error-text.js';

/**
 * Why this file exists: the second read-only wall for PostgreSQL, below the guard. Every call takes a
 * connection from a small pool and runs inside `BEGIN READ ONLY` with `statement_timeout`, `lock_timeout`
 * and `idle_in_transaction_session_timeout` set for that transaction only, then ROLLBACK and `DISCARD
 * ALL`: what outlives a transaction (session advisory locks, settings, prepared statements, LISTEN) never
 * reaches the next call on the same pooled connection. A client-side
 * deadline backs the server's timeout (PGlite ignores statement_timeout; a wedged network would too): on
 * expiry the backend gets a protocol CancelRequest from a second socket, the connection is destroyed (the
 * pool opens a fresh one) and the caller gets `DataSourceError(…, timedOut=true)`.
 *
 * This layer admits any SQL: callers pass only guarded statements or their own catalog queries. The
 * real-server tests call it directly with an INSERT to show the transaction and the role still refuse it.
 */

/** The client-side deadline waits this much longer than the server's statement_timeout. */
const CLIENT_GRACE_MS = 500;
/** PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout or a cancel request. */
const QUERY_CANCELED = '57014';
/**
 * A single protocol message from the server larger than this ends the connection before the driver
 * buffers it: the driver holds a whole message in memory and turns a field into a string, which throws
 * ERR_STRING_TOO_LONG inside the socket's data handler (an uncaught exception) past 512 MB. Data cells
 * are cut on the server (postgres-source.ts); this catches what cannot be (a plan that prints a folded
 * constant, a catalog text).
 */
export const MAX_REPLY_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface PostgresSessionOptions {
  url: string;
  statementTimeoutMs: number;
  /** Connections kept per source (default 2). */
  maxConnections?: number;
  /**
   * The server-side statement_timeout when it must differ from the client's deadline (tests of the
   * client-side cancel on a real server set it far beyond `statementTimeoutMs`).
   */
  serverStatementTimeoutMs?: number;
}

export interface RowsResult {
  columns: string[];
  rows: unknown[][];
}

/** What a call inside a read-only transaction may do. */
export interface ReadOnlyQuerier {
  /** User-facing data: values stay as PostgreSQL prints them (bigint, numeric, dates → text). */
  rows(text: string, values?: unknown[]): Promise<RowsResult>;
  /** The columns `text` would return (name and type oid), from a `LIMIT 0` run: no row is produced. */
  columnsOf(text: string): Promise<{ name: string; typeId: number }[]>;
  /** Catalog lookups: the driver's usual parsing (arrays, numbers) as objects. */
  objects<T>(text: string, values?: unknown[]): Promise<T[]>;
}

const NUMERIC_OIDS = new Set([21, 23, 26, 700, 701]);
const BOOL_OID = 16;
/** Small integers and floats as numbers, booleans as booleans, everything else exactly as the server printed it. */
const DATA_TYPES = {
  getTypeParser: (oid: number) => {
    if (NUMERIC_OIDS.has(oid)) return (v: string) => Number(v);
    if (oid === BOOL_OID) return (v: string) => v === 't';
    return (v: string) => v;
  },
} as unknown as pg.CustomTypesConfig;

/** Connection details that must never appear in a message: the URL and its parts. */
function secretsOf(url: string): string[] {
  const found = [url];
  try {
    const parsed = new URL(url);
    found.push(
      decodeURIComponent(parsed.password),
      parsed.password,
      decodeURIComponent(parsed.username),
      parsed.hostname,
      parsed.host,
      decodeURIComponent(parsed.pathname.replace(/^\//, '')),
    );
    for (const [key, value] of parsed.searchParams)
      if (/host|password|user|dbname/i.test(key)) found.push(value);
  } catch {
    // Not a URL: the whole string is all we can hide.
  }
  // Longest first, so a host is removed before a shorter user name that it contains.
  return [...new Set(found.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
}

/**
 * Watches the server's reply stream for message headers (1 byte type, 4 bytes length) and destroys the
 * stream when one message announces more than `max` bytes: the driver's parser never receives it whole.
 * Installed right after connecting, at a message boundary.
 */
function limitReplyMessages(stream: Duplex, max: number): void {
  let remaining = 0;
  let header = Buffer.alloc(0);
  stream.prependListener('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (remaining > 0) {
        const take = Math.min(remaining, chunk.length - i);
        remaining -= take;
        i += take;
        continue;
      }
      const take = Math.min(5 - header.length, chunk.length - i);
      header = Buffer.concat([header, chunk.subarray(i, i + take)]);
      i += take;
      if (header.length < 5) return;
      const length = header.readUInt32BE(1) - 4;
      header = Buffer.alloc(0);
      if (length > max) {
        stream.destroy(new Error(`a reply from the source was larger than ${max / 1024 / 1024} MB`));
        return;
      }
      remaining = length;
    }
  });
}

export class PostgresSession {
  private pool: pg.Pool | undefined;
  private readonly secrets: string[];
  private closed = false;
  /** Clients whose connection failed while checked out (an 'error' event): never back to the pool. */
  private readonly broken = new WeakSet<pg.PoolClient>();
  /** Reply streams of the pool's connections, for `bytesReceived` (tests and diagnostics). */
  private readonly streams = new Set<Duplex & { bytesRead?: number }>();
  private closedStreamBytes = 0;

  constructor(private readonly options: PostgresSessionOptions) {
    this.secrets = secretsOf(options.url);
  }

  /** Removes the URL, host, user, password and database name from a message. */
  scrub(message: string): string {
    return this.secrets.reduce((text, secret) => text.split(secret).join('…'), message);
  }

  /** Bytes read from the server over every connection this session opened (tests count work with it). */
  bytesReceived(): number {
    let total = this.closedStreamBytes;
    for (const stream of this.streams) total += stream.bytesRead ?? 0;
    return total;
  }

  /** Runs `work` inside one read-only transaction with the timeouts, then rolls back. */
  async readOnly<T>(work: (q: ReadOnlyQuerier) => Promise<T>): Promise<T> {
    if (this.closed) throw new DataSourceError('the source is closed');
    let client: pg.PoolClient;
    try {
      client = await (await this.ensurePool()).connect();
    } catch (error) {
      throw this.toError(error);
    }
    const timeoutMs = this.options.statementTimeoutMs;
    const serverMs = this.options.serverStatementTimeoutMs ?? timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let destroy = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        destroy = true;
        this.cancelBackend(client);
        reject(
          new DataSourceError(
            `the statement ran longer than ${formatSeconds(timeoutMs)} and was cancelled`,
            true,
          ),
        );
      }, timeoutMs + CLIENT_GRACE_MS);
    });
    try {
      await Promise.race([
        client.query(
          // standard_conforming_strings on: with it off (a server's setting) a backslash ends a literal
          // the guard's parser read as one string, and the rest could become a second statement.
          `BEGIN READ ONLY; SET LOCAL standard_conforming_strings = on; ` +
            `SET LOCAL statement_timeout = ${serverMs}; SET LOCAL lock_timeout = ${serverMs}; ` +
            `SET LOCAL idle_in_transaction_session_timeout = ${serverMs * 2}`,
        ),
        deadline,
      ]);
      const result = await Promise.race([work(querier(client)), deadline]);
      await Promise.race([client.query('ROLLBACK'), deadline]);
      await Promise.race([client.query('DISCARD ALL'), deadline]);
      return result;
    } catch (error) {
      if (!destroy) {
        // A failed statement leaves the transaction aborted: end it, or drop the connection if that fails.
        await client
          .query('ROLLBACK')
          .then(() => client.query('DISCARD ALL'))
          .catch(() => {
            destroy = true;
          });
      }
      throw this.toError(error);
    } finally {
      clearTimeout(timer);
      const discard = destroy || this.broken.has(client);
      client.release(discard ? new Error('discarded after a timeout or failure') : undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => {});
  }

  /** The pool, made on the first call: the driver (~15 MB resident) loads only for a configured source. */
  private async ensurePool(): Promise<pg.Pool> {
    if (!this.pool) {
      const { default: driver } = await import('pg');
      if (this.pool) return this.pool;
      this.pool = new driver.Pool({
        connectionString: this.options.url,
        max: this.options.maxConnections ?? 2,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 10_000,
        allowExitOnIdle: true,
        application_name: 'data-engineer-bot',
      });
      // An idle connection the server dropped: the pool replaces it; nothing to report.
      this.pool.on('error', () => {});
      this.pool.on('connect', (client) => this.watch(client));
    }
    return this.pool;
  }

  /**
   * A new connection: a socket failure while it is checked out (the pool listens only while idle) must
   * not become an uncaught 'error' event; the caller's query fails and the client is discarded. Its reply
   * stream gets the message-size limit.
   */
  private watch(client: pg.PoolClient): void {
    client.on('error', () => {
      this.broken.add(client);
    });
    const stream = (client as unknown as { connection?: { stream?: Duplex & { bytesRead?: number } } })
      .connection?.stream;
    if (!stream) return;
    limitReplyMessages(stream, MAX_REPLY_MESSAGE_BYTES);
    this.streams.add(stream);
    stream.once('close', () => {
      this.closedStreamBytes += stream.bytesRead ?? 0;
      this.streams.delete(stream);
    });
  }

  /**
   * Asks the server to cancel what `client`'s backend runs: the wire protocol's CancelRequest on a new
   * socket (needs no privilege; PGlite ignores it). Best effort, never awaited.
   */
  private cancelBackend(client: pg.PoolClient): void {
    const { processID, secretKey, host, port } = client as unknown as {
      processID: number | null;
      secretKey: number | null;
      host: string;
      port: number;
    };
    if (processID === null || secretKey === null) return;
    const message = Buffer.alloc(16);
    message.writeInt32BE(16, 0);
    message.writeInt32BE(80877102, 4);
    message.writeInt32BE(processID, 8);
    message.writeInt32BE(secretKey, 12);
    const socket = host.startsWith('/')
      ? netConnect(`${host}/.s.PGSQL.${port}`)
      : netConnect({ host, port: Number(port) });
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('connect', () => socket.end(message));
  }

  /** Any failure as a `DataSourceError` whose message holds no connection detail. */
  toError(error: unknown): Error {
    if (error instanceof ReadOnlyRefusal) return error;
    if (error instanceof DataSourceError) {
      // Ours (no table named …, no column …): they may echo what the model typed.
      const masked = safeErrorText(error.message);
      return masked === error.message ? error : new DataSourceError(masked, error.timedOut);
    }
    const e = error as { code?: string; message?: string; severity?: string; column?: string };
    if (e.code === QUERY_CANCELED) {
      return new DataSourceError(
        `the statement ran longer than ${formatSeconds(this.options.statementTimeoutMs)} and was cancelled`,
        true,
      );
    }
    const network: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ENOTFOUND: 'host not found',
      EAI_AGAIN: 'host not found',
      ETIMEDOUT: 'timed out',
      ECONNRESET: 'connection reset',
      EHOSTUNREACH: 'host unreachable',
    };
    if (e.code && network[e.code])
      return new DataSourceError(`could not reach the source (${network[e.code]})`);
    const full = e.message ?? String(error);
    // SQLSTATE classes 22 (data exception) and 23 (integrity): the message quotes the offending value.
    const dataError = typeof e.code === 'string' && /^2[23]/.test(e.code);
    const where = dataError && e.column ? ` (column ${e.column})` : '';
    const message = safeErrorText(this.scrub(dataError ? withoutQuotedValues(full) : full)) + where;
    if (e.severity) return new DataSourceError(message);
    if (/timeout/i.test(message)) return new DataSourceError('could not reach the source (timed out)');
    return new DataSourceError(`the source failed: ${message}`);
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Every statement inside the transaction goes over the extended query protocol (Parse/Bind/Execute),
 * which the server refuses for a text holding several commands: whatever a statement hides, it runs as
 * one command or not at all. (`queryMode` is pg's option; its type declarations lag behind.)
 */
const EXTENDED = { queryMode: 'extended' } as Record<string, unknown>;

function querier(client: pg.PoolClient): ReadOnlyQuerier {
  return {
    rows: async (text, values) => {
      const result = await client.query({
        ...EXTENDED,
        text,
        values,
        rowMode: 'array',
        types: DATA_TYPES,
      });
      return { columns: result.fields.map((f) => f.name), rows: result.rows as unknown[][] };
    },
    columnsOf: async (text) => {
      // Newlines around the statement: a trailing line comment in it cannot swallow the wrapper.
      const result = await client.query({
        ...EXTENDED,
        text: `SELECT * FROM (\n${text}\n) q LIMIT 0`,
        rowMode: 'array',
        types: DATA_TYPES,
      });
      return result.fields.map((f) => ({ name: f.name, typeId: f.dataTypeID }));
    },
    objects: async <T>(text: string, values?: unknown[]) =>
      (await client.query({ ...EXTENDED, text, values })).rows as T[],
  };
}
