import { maskText } from './pii-mask.js';

/**
 * Why this file exists: a source's error can quote the data it choked on. PostgreSQL writes
 * `invalid input syntax for type integer: "ada@example.com Ada Lovelace +49 151 …"`, DuckDB
 * `Could not convert string 'ada@example.com' to INT32`: a cast of `string_agg(email || full_name …)`
 * turns the error channel into a dump of a table's personal data. The adapters strip such values at
 * the source; this is the second wall, in the data-tools layer, applied to every refusal and error
 * reason before it reaches the model or the audit row: quoted literals are cut and what is left is
 * masked (pii-mask.ts). Pure.
 */

/** Quoted text in an error: "…" (PostgreSQL) or '…' (DuckDB), with doubled quotes inside. */
const QUOTED = /"(?:[^"]|"")*"|'(?:[^']|'')*'/g;

/**
 * Words before a quote that say it names an object the statement itself wrote (`column "x" does not
 * exist`, `syntax error at or near "selec"`), not a value read from the data: the model needs those
 * to fix its query, and dynamic identifiers need dynamic SQL, which the guards refuse.
 */
const NAMES_AN_OBJECT =
  /(?:column|relation|table|schema|function|type|operator|index|constraint|view|database|role|catalog|alias|near|reference|name|with name|identifier)\s*$/i;

/** A quote that names an object: short and identifier-shaped. */
const IDENTIFIER_SHAPED = /^["'][A-Za-z_][A-Za-z0-9_$.]{0,62}["']$/;

const CUT = '"…"';

/** The reason the model reads: value literals cut, object names kept, personal data masked. */
export function reasonForModel(reason: string): string {
  const cut = reason.replace(QUOTED, (quoted, offset: number) => {
    const before = reason.slice(Math.max(0, offset - 20), offset);
    return NAMES_AN_OBJECT.test(before) && IDENTIFIER_SHAPED.test(quoted) ? quoted : CUT;
  });
  return maskText(cut);
}

/** The reason the audit keeps (and `/data-engineer audit` shows): every quoted literal cut, masked. */
export function reasonForAudit(reason: string): string {
  return maskText(reason.replace(QUOTED, CUT));
}
