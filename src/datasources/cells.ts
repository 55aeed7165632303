import type { Cell } from '../core/data-sources/data-source.js';

/**
 * Why this file exists: whatever a driver returns (bigint, decimals, dates, bytes, JSON, DuckDB's value
 * classes) becomes a JSON-safe `Cell`, cut to a few hundred characters, before it leaves an adapter.
 */

/** Keeps `max` characters of a string and marks the cut with "…". */
export function cutText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const bigintSafe = (_key: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

export function toCell(value: unknown, maxChars: number): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return cutText(value, maxChars);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'invalid date' : value.toISOString();
  if (value instanceof Uint8Array) {
    return cutText(`\\x${Buffer.from(value.subarray(0, maxChars)).toString('hex')}`, maxChars);
  }
  if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype) {
    return cutText(JSON.stringify(value, bigintSafe) ?? '', maxChars);
  }
  // Driver value classes (DuckDB decimals, intervals, lists…) print themselves.
  return cutText(String(value), maxChars);
}

/** A driver's number-like text, as a number when it is one. */
export function toNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}
