import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileToLoad } from '../core/files/loaded-file.js';

/**
 * Why this file exists: the bytes of shared files reach the sandbox child through a private directory
 * (mode 0700, under the OS temp folder), one per load, named `deb-files-<bot pid>-…`: the bot streams each
 * download there under its byte cap (so a file never sits whole in the bot's memory), the child loads them,
 * and the directory is removed as soon as the tables exist. A bot that died mid-load leaves one behind: the
 * next sandbox start removes those whose bot process is gone.
 */

const PREFIX = 'deb-files-';

export async function createStagingDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
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
export async function removeStaleStagingDirs(): Promise<number> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1];
    if (!pid || isAlive(Number(pid))) continue;
    await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
    removed += 1;
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
