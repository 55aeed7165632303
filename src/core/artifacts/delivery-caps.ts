import type { CodeFile } from './file-names.js';

/**
 * Why this file exists: one answer may hold any number of code and mermaid blocks, and each would
 * become an upload (and each diagram up to 10 s of the one shared renderer). An answer gets at most
 * MAX_CODE_FILES files and MAX_DIAGRAMS pictures; the blocks past that stay in the answer and are
 * named in one note, never one post each. Pure.
 */

export const MAX_CODE_FILES = 10;
export const MAX_DIAGRAMS = 5;
/** Names listed in the note; more are counted. */
const MAX_LISTED = 12;

/** The first `max` files, and the ones left over. */
export function capFiles(files: CodeFile[], max: number): { kept: CodeFile[]; skipped: CodeFile[] } {
  return { kept: files.slice(0, max), skipped: files.slice(max) };
}

/** One note naming the blocks that were not uploaded (undefined when none were left over). */
export function skippedFilesNote(code: CodeFile[], diagrams: CodeFile[]): string | undefined {
  const parts: string[] = [];
  if (code.length > 0)
    parts.push(`${code.length} more code block${plural(code.length)} (at most ${MAX_CODE_FILES} files)`);
  if (diagrams.length > 0)
    parts.push(`${diagrams.length} more diagram${plural(diagrams.length)} (at most ${MAX_DIAGRAMS})`);
  if (parts.length === 0) return undefined;
  const all = [...code, ...diagrams];
  const names = all.slice(0, MAX_LISTED).map((f) => `block ${f.blockIndex} \`${f.path}\``);
  const more = all.length > MAX_LISTED ? ` and ${all.length - MAX_LISTED} more` : '';
  return `Not uploaded as files: ${parts.join(' and ')}; they stay in the answer above: ${names.join(', ')}${more}.`;
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}
