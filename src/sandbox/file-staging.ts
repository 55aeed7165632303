import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileToLoad } from '../core/files/loaded-file.js';

/**
 * Why this file exists: the bytes of shared files reach the sandbox child through a private directory
 * (mode 0700, under the OS temp folder), one per load, named `deb-files-<bot pid>-<process token>-…`: the
 * bot streams each download there under its byte cap (so a file never sits whole in the bot's memory), the
 * child loads them, and the directory is removed as soon as the tables exist. A bot that died mid-load
 * leaves one behind: the next sandbox start removes those of this user whose bot process is gone, those
 * with this process's pid but another token (a restarted container reuses its pid, often 1), and any older
 * than a day (a pid reused by some other process). A live bot's directory is left alone (several bots, or
 * test workers, may share the temp folder), so "not created by this process" alone is not enough.
 */

const PREFIX = 'deb-files-';
/** Tells this process's directories from those of an earlier process that had the same pid. */
const PROCESS_TOKEN = randomBytes(6).toString('hex');
/** A staging directory lives for one load (minutes); one this old is left over whatever its pid says. */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

export async function createStagingDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-${PROCESS_TOKEN}-`));
}

export async function removeStagingDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** One staged file, removed as soon as it is loaded (the next one may be large too). */
export async function removeStagedFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

const TRANSIENT = /^(TimeoutError|AbortError)\b|fetch failed|ECONNRESET|socket|HTTP (5\d\d|429)\b/;

/** Streams a file's download into `path`; refused (and nothing kept) once it passes its byte cap. */
export async function stageFile(
  path: string,
  file: FileToLoad,
  signal?: AbortSignal,
): Promise<{ ok: true; bytes: number } | { ok: false; reason: string; transient?: boolean }> {
  const handle = await open(path, 'wx', 0o600);
  let bytes = 0;
  try {
    const stream = await file.open(signal);
    for await (const chunk of stream) {
      bytes += chunk.byteLength;
      if (bytes > file.maxBytes) return { ok: false, reason: file.overLimitReason };
      await handle.write(chunk);
    }
    return { ok: true, bytes };
  } catch (error) {
    if (signal?.aborted) throw error;
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    // A timeout, a dropped connection or Slack's own 5xx/429 says nothing about the file: tried again later.
    const transient = error instanceof Error && TRANSIENT.test(`${error.name}: ${error.message}`);
    return { ok: false, reason: `not downloadable from Slack (${why})`, ...(transient ? { transient } : {}) };
  } finally {
    await handle.close();
  }
}

/** Removes staging directories left by bot processes that no longer run (a crash mid-load). */
export async function removeStaleStagingDirs(now = Date.now()): Promise<number> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const path = join(tmpdir(), name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory() || (process.getuid && info.uid !== process.getuid())) continue;
    if (!isLeftOver(name, info.mtimeMs, now)) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
    removed += 1;
  }
  return removed;
}

function isLeftOver(name: string, modifiedMs: number, now: number): boolean {
  const match = new RegExp(`^${PREFIX}(\\d+)-(?:([0-9a-f]{12})-)?`).exec(name);
  const pid = Number(match?.[1]);
  if (!match || !Number.isInteger(pid)) return now - modifiedMs > STALE_AFTER_MS;
  if (now - modifiedMs > STALE_AFTER_MS) return true;
  if (pid === process.pid) return match[2] !== PROCESS_TOKEN;
  return !isAlive(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
