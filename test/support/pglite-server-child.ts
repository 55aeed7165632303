import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Why this file exists: PGlite (PostgreSQL compiled to WASM) served over the wire protocol, in a child
 * process of its own. PGlite runs each statement synchronously on its thread, so a slow statement
 * (pg_sleep, a huge join) would freeze a test's event loop, timers included, if it ran in-process: here it
 * freezes only this child, and the test's client-side timeout still fires.
 */

const db = new PGlite();
// Several connections: a pool of 2 per source plus the tests' own seeding / checksum client.
const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 32 });
await server.start();
const port = Number(server.getServerConn().split(':').pop());
process.send?.({ port });
// The test went away: nothing here may outlive it.
process.on('disconnect', () => process.exit(0));
