import type { CodeBlock } from '../checks/code-blocks.js';
import { isSqlLanguage } from '../checks/dialect.js';
import { AIRFLOW_DAG, AIRFLOW_DECORATOR, contentName, DDL } from './content-names.js';
import { DEFAULT_MAX_PATH_CHARS, sanitisePath, unique } from './safe-path.js';

export { sanitisePath };

/**
 * Why this file exists: every substantial code block of an answer is also uploaded as a file, and a file
 * needs a name a data engineer would give it (`fct_sessions.sql`, `dags/sessions_daily.py`,
 * `dbt/schema.yml`). The agent may name it in the fence's info string (`file=…`, `title="…"`) or on the
 * block's first comment line; otherwise the name comes from the content (content-names.ts), else
 * `block-<n>.<ext>`. Names are model text: they are sanitised into short relative paths of safe
 * characters, unique per answer (safe-path.ts). Diagrams are named in diagram-names.ts. Pure.
 */

export interface CodeFile {
  /** The block's 1-based index among the answer's blocks. */
  blockIndex: number;
  /** A relative path of safe characters, e.g. `dags/sessions_daily.py`; unique within the answer. */
  path: string;
  /** The last part of the path, e.g. `sessions_daily.py` (for APIs that take a bare file name). */
  fileName: string;
  /** Where the name came from. */
  source: 'agent' | 'content' | 'fallback';
}

export interface FileNameOptions {
  /** Blocks with more lines than this are files whatever they hold. */
  minLines: number;
  maxPathChars: number;
}

export const DEFAULT_FILE_NAME_OPTIONS: FileNameOptions = {
  minLines: 15,
  maxPathChars: DEFAULT_MAX_PATH_CHARS,
};

const EXTENSIONS: Record<string, string> = {
  python: 'py',
  py: 'py',
  yaml: 'yml',
  yml: 'yml',
  json: 'json',
  bash: 'sh',
  sh: 'sh',
  shell: 'sh',
  zsh: 'sh',
  scala: 'scala',
  java: 'java',
  go: 'go',
  typescript: 'ts',
  ts: 'ts',
  javascript: 'js',
  js: 'js',
  hcl: 'tf',
  terraform: 'tf',
  tf: 'tf',
  toml: 'toml',
  ini: 'ini',
  cfg: 'cfg',
  xml: 'xml',
  r: 'R',
  jinja: 'sql',
  properties: 'properties',
  makefile: '',
  dockerfile: '',
};

/** Blocks that are output, prose or pictures, not files (unless the agent names them). */
const NOT_FILES = new Set([
  '',
  'text',
  'txt',
  'console',
  'output',
  'log',
  'plaintext',
  'markdown',
  'md',
  'mermaid',
]);

/** The dictionary's file: one name per thread, so a newer version plainly replaces the older one. */
export const DICTIONARY_FILE = 'data-dictionary.csv';

/**
 * Names only the bot gives: an upload is claimed by its title, so a code block named like the
 * dictionary would be claimed first and go out under the trusted name (unescaped model CSV).
 */
const RESERVED_NAMES = [DICTIONARY_FILE];

/** The answer's blocks that become files, each with its unique name. */
export function codeFiles(
  blocks: CodeBlock[],
  options: FileNameOptions = DEFAULT_FILE_NAME_OPTIONS,
): CodeFile[] {
  const files: CodeFile[] = [];
  const taken = new Set<string>(RESERVED_NAMES);
  for (const block of blocks) {
    // Diagrams become pictures (diagram-png), not code files.
    if (block.language === 'mermaid') continue;
    const named = agentName(block);
    // A name in the fence's info string asks for a file; a path comment on the first line only names
    // a block that is a file anyway (a short dbt snippet headed `-- models/x.sql` stays in the answer).
    if (!infoName(block) && !isSubstantial(block, options)) continue;
    const fromContent = named ? undefined : contentName(block, language(block));
    const wanted = named ?? fromContent;
    const safe = wanted ? sanitisePath(wanted, options.maxPathChars) : '';
    const path = unique(safe ? withExtension(safe, block, options.maxPathChars) : fallbackName(block), taken);
    taken.add(path.toLowerCase());
    files.push({
      blockIndex: block.index,
      path,
      fileName: path.split('/').pop() ?? path,
      source: named ? 'agent' : fromContent ? 'content' : 'fallback',
    });
  }
  return files;
}

/** Over minLines lines, or DDL, a DAG or a configuration file, whatever its length. */
export function isSubstantial(
  block: CodeBlock,
  options: FileNameOptions = DEFAULT_FILE_NAME_OPTIONS,
): boolean {
  if (NOT_FILES.has(block.language)) return false;
  if (block.body.split('\n').length > options.minLines) return true;
  if (language(block) === 'sql') return DDL.test(block.body);
  if (language(block) === 'py') return AIRFLOW_DAG.test(block.body) || AIRFLOW_DECORATOR.test(block.body);
  return ['yml', 'json', 'toml', 'ini', 'cfg', 'tf', 'properties', ''].includes(language(block));
}

/** The extension for a block's language ('' for Dockerfile and Makefile, 'txt' when unknown). */
function language(block: CodeBlock): string {
  if (isSqlLanguage(block.language)) return 'sql';
  return EXTENSIONS[block.language] ?? 'txt';
}

/** A name in the fence's info string: `file=…`, `title="…"`, `path=…`, `python:dags/x.py`. */
function infoName(block: CodeBlock): string | undefined {
  const info = INFO_NAME.exec(block.info);
  const fromInfo = info?.[1] ?? info?.[2] ?? info?.[3];
  if (fromInfo) return fromInfo;
  return /^[\w+-]+:([\w./-]+\.[A-Za-z0-9]{1,10})$/.exec(block.info.split(/\s+/)[0] ?? '')?.[1];
}

const INFO_NAME = /(?:^|\s)(?:file|filename|title|path|name)\s*[=:]\s*(?:"([^"]+)"|'([^']+)'|(\S+))/i;
const FIRST_LINE_NAME = /^\s*(?:--|#|\/\/)\s*(?:file(?:name)?\s*:\s*)?([\w./-]+\.[A-Za-z0-9]{1,10})\s*$/;

/** A name the agent gave: in the info string (`file=…`, `title="…"`, `python:dags/x.py`) or first comment. */
export function agentName(block: CodeBlock): string | undefined {
  const fromInfo = infoName(block);
  if (fromInfo) return fromInfo;
  const firstLine = block.body.split('\n', 1)[0] ?? '';
  return FIRST_LINE_NAME.exec(firstLine)?.[1];
}

function withExtension(name: string, block: CodeBlock, maxChars: number): string {
  const ext = language(block);
  if (/\.[A-Za-z0-9]{1,10}$/.test(name) || ext === '' || ext === 'txt') return name;
  return `${name.slice(0, maxChars - ext.length - 1)}.${ext}`;
}

function fallbackName(block: CodeBlock): string {
  const ext = language(block);
  if (ext === '') return block.language === 'makefile' ? 'Makefile' : 'Dockerfile';
  return `block-${block.index}.${ext}`;
}
