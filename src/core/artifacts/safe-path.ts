/**
 * Why this file exists: file names come from model text, so each becomes a short relative path of safe
 * characters, unique within its answer. Pure.
 */

export const DEFAULT_MAX_PATH_CHARS = 100;
const MAX_SEGMENT_CHARS = 64;
const MAX_SEGMENTS = 4;

/**
 * A relative path of safe characters: no absolute paths, no drive letters, no `.` or `..` parts, no
 * leading dots (hidden files), at most MAX_SEGMENTS parts of MAX_SEGMENT_CHARS, the whole cut to maxChars
 * keeping its extension. '' when nothing is left.
 */
export function sanitisePath(name: string, maxChars = DEFAULT_MAX_PATH_CHARS): string {
  const segments = name
    .normalize('NFKC')
    .replace(/\\/g, '/')
    .replace(/^[A-Za-z]:/, '')
    .split('/')
    .map((s) =>
      s
        .replace(/[^A-Za-z0-9._-]+/g, '_')
        .replace(/^[._-]+/, '')
        .replace(/_+/g, '_'),
    )
    .filter((s) => s !== '' && !/^\.+$/.test(s))
    .slice(-MAX_SEGMENTS)
    .map((s) => cutKeepingExtension(s, MAX_SEGMENT_CHARS));
  let path = segments.join('/');
  while (path.length > maxChars && segments.length > 1) {
    segments.shift();
    path = segments.join('/');
  }
  return cutKeepingExtension(path, maxChars);
}

function cutKeepingExtension(name: string, max: number): string {
  if (name.length <= max) return name;
  const ext = /\.[A-Za-z0-9]{1,10}$/.exec(name)?.[0] ?? '';
  return `${name.slice(0, max - ext.length)}${ext}`;
}

/** `x.sql`, then `x-2.sql`, `x-3.sql`… (compared without case: some file systems ignore it). */
export function unique(path: string, taken: Set<string>): string {
  if (!taken.has(path.toLowerCase())) return path;
  const ext = /\.[A-Za-z0-9]{1,10}$/.exec(path)?.[0] ?? '';
  const stem = path.slice(0, path.length - ext.length);
  for (let n = 2; ; n += 1) {
    const candidate = `${stem}-${n}${ext}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}
