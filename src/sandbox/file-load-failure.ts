/**
 * Why this file exists: why a shared file could not be loaded, in our own words. DuckDB's error text
 * quotes the file's content (the value that failed to cast, the original CSV line), and that content is
 * the sharer's: echoed into the bot's reply it could ping a channel, carry a hidden link or show a card
 * number to everyone. So the engine's message is only classified, never copied: the reason is one of a
 * fixed set of sentences, plus the line number (digits we parse ourselves).
 */

const LABEL: Record<string, string> = { csv: 'CSV', tsv: 'TSV', json: 'JSON', parquet: 'Parquet' };

/** "in line 20481", "CSV Error on Line: 30002", "line 3": the first line number the engine names. */
const LINE = /\bline:?\s*(\d{1,12})\b/i;

const KINDS: { test: RegExp; reason: (line: string | undefined) => string }[] = [
  {
    test: /conver|cast|transform error/i,
    reason: (line) => `a value${line ? ` in line ${line}` : ''} does not match its column's type`,
  },
  {
    test: /number of columns|too many columns|too few columns|maximum line size|quote|delimiter/i,
    reason: (line) => `${line ? `line ${line}` : 'a line'} does not fit the columns of the first lines`,
  },
  { test: /utf-?8|unicode|encoding/i, reason: () => 'not UTF-8 text' },
  { test: /nest|depth|recursion/i, reason: () => 'nested too deeply' },
  {
    test: /malformed|unexpected|syntax|parse|invalid json|invalid parquet|corrupt|magic/i,
    reason: (line) => `malformed${line ? ` (line ${line})` : ''}`,
  },
];

/** A fixed reason for an engine error while reading a file of `format`; never the engine's own text. */
export function loadFailureReason(format: string, message: string): string {
  if (/out of memory|memory limit/i.test(message)) return "too large for the sandbox's memory";
  const digits = LINE.exec(message)?.[1];
  const line = digits ? Number(digits).toLocaleString('en-US') : undefined;
  const kind = KINDS.find((k) => k.test.test(message));
  return `not valid ${LABEL[format] ?? format}: ${kind ? kind.reason(line) : 'the engine could not read it'}`;
}
