import type { BlockCheck } from '../core/checks/check-blocks.js';
import type { CodeBlock } from '../core/checks/code-blocks.js';
import type { SqlDialect } from '../core/sandbox/sandbox.js';
import { neutraliseMentions } from './sanitise.js';
import { truncateForSlack } from './split-markdown.js';

/**
 * Why this file exists: the one short message at the end of an answer that says, per code block, what
 * the bot itself checked: ✓ (ran, or an engine's parser accepted it), ✗ (with the engine's first error line
 * and the line inside the block) or – (not checked, and why). Error texts come from parsers and databases
 * fed with model text, so they are escaped and neutralised: this message can never mention anyone. Pure.
 */

export type CheckFormat = 'mrkdwn' | 'markdown';

const SYMBOL = { passed: '✓', failed: '✗', not_checked: '–' } as const;

const DIALECT_LABEL: Record<SqlDialect, string> = {
  duckdb: 'DuckDB',
  postgres: 'PostgreSQL',
  snowflake: 'Snowflake',
  bigquery: 'BigQuery',
  redshift: 'Redshift',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  tsql: 'T-SQL',
  trino: 'Trino',
  athena: 'Athena',
  hive: 'Hive',
  sqlite: 'SQLite',
  db2: 'Db2',
  flinksql: 'Flink SQL',
};

const MAX_ERROR_CHARS = 200;
const MAX_NOTE_CHARS = 160;

/** Untrusted text made inert: one line, bounded, escaped for mrkdwn, no live mentions. */
function inert(text: string, max: number, format: CheckFormat): string {
  const oneLine = truncateForSlack(text.replace(/\s+/g, ' ').trim(), max);
  const escaped =
    format === 'mrkdwn'
      ? oneLine.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      : oneLine;
  return neutraliseMentions(escaped);
}

/** Inline code that cannot be closed early by a backtick in the text. */
function code(text: string, format: CheckFormat): string {
  return `\`${inert(text, MAX_ERROR_CHARS, format).replace(/`/g, "'")}\``;
}

function what(check: BlockCheck, format: CheckFormat): string {
  const language = check.language === 'yml' ? 'YAML' : check.language.toUpperCase();
  const dialect = check.dialect ? `, ${DIALECT_LABEL[check.dialect]}` : '';
  return inert(`${language}${dialect}`, 40, format);
}

/** One block's line, e.g. `✗ Block 2 (YAML): line 4 of the block: \`…\``. `label` replaces "Block N". */
export function renderCheckLine(check: BlockCheck, format: CheckFormat = 'mrkdwn', label?: string): string {
  const name = `${SYMBOL[check.status]} ${label ?? `Block ${check.index}`} (${what(check, format)})`;
  if (check.status === 'passed') return `${name}: ${inert(check.method ?? 'checked', 60, format)}`;
  if (check.status === 'failed') {
    const where = check.errorLine === undefined ? '' : `line ${check.errorLine} of the block, `;
    const by = check.method ? `${inert(check.method, 60, format)}: ` : '';
    return `${name}: ${where}${by}${code(check.error ?? 'failed', format)}`;
  }
  return `${name}: not checked${check.note ? ` (${inert(check.note, MAX_NOTE_CHARS, format)})` : ''}`;
}

/** The check message for an answer, or undefined when the answer has no code blocks. */
export function renderCheckMessage(checks: BlockCheck[], format: CheckFormat = 'mrkdwn'): string | undefined {
  if (checks.length === 0) return undefined;
  const count = (status: BlockCheck['status']) => checks.filter((c) => c.status === status).length;
  const bold = format === 'mrkdwn' ? '*' : '**';
  const summary = [
    `${count('passed')} ✓`,
    `${count('failed')} ✗`,
    ...(count('not_checked') > 0 ? [`${count('not_checked')} not checked`] : []),
  ].join(' · ');
  return [
    `${bold}Code checked by the bot${bold} (${summary})`,
    ...checks.map((check) => renderCheckLine(check, format)),
  ].join('\n');
}

/** The longest corrected block body shown in its reply (keeps the reply short). */
const MAX_CORRECTED_CHARS = 3_500;

/**
 * The reply with one corrected block (model text, shown as code: escaped, no live mention, no fence of
 * its own that could close ours) and its own check line; a block that still fails says so plainly.
 */
export function renderCorrectedBlock(block: CodeBlock, check: BlockCheck): string {
  // The check is of the block in place in the answer: its index is the block's number there.
  const label = `Corrected block ${check.index}`;
  const body = neutraliseMentions(
    truncateForSlack(block.body, MAX_CORRECTED_CHARS)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/```/g, '` ` `'),
  );
  const line = renderCheckLine(check, 'mrkdwn', label);
  const verdict =
    check.status === 'failed'
      ? `${line}\nStill failing after the one repair round: fix this block by hand before using it.`
      : line;
  return [`*${label}*`, `\`\`\`\n${body}\n\`\`\``, verdict].join('\n');
}

/** A corrected block's part without its code (when the reply has no room left for it). */
export function renderCorrectedVerdict(check: BlockCheck): string {
  const label = `Corrected block ${check.index}`;
  const line = renderCheckLine(check, 'mrkdwn', label);
  return check.status === 'failed'
    ? `*${label}*\n${line}\nStill failing after the one repair round: fix this block by hand before using it.`
    : `*${label}*\n${line}`;
}

/** Characters of one "Corrected blocks" reply; past this a block shows only its check line. */
const MAX_CORRECTIONS_CHARS = 30_000;

/**
 * The one reply of the repair round: every failed block's part ("Corrected block N" with its code and
 * check line, or "not corrected"), in order. One message however many blocks failed; past
 * MAX_CORRECTIONS_CHARS the remaining parts drop their code and keep their verdict.
 */
export function renderCorrections(parts: { full: string; short: string }[]): string {
  const header = '*Corrected blocks* (the one automatic repair round)';
  let size = header.length;
  const shown = parts.map((part) => {
    const text = size + part.full.length + 2 <= MAX_CORRECTIONS_CHARS ? part.full : part.short;
    size += text.length + 2;
    return text;
  });
  return [header, ...shown].join('\n\n');
}

/** The reply when the repair round brought no corrected version of a failed block. */
export function renderNotCorrected(index: number): string {
  return `✗ Block ${index} was not corrected: the one repair round brought no fixed version. Fix it by hand before using it.`;
}
