import type { CodeBlock } from '../checks/code-blocks.js';
import { isSqlLanguage } from '../checks/dialect.js';

/**
 * Why this file exists: every substantial code block of an answer is also uploaded as a file, and a file
 * needs a name a data engineer would give it (`fct_sessions.sql`, `dags/sessions_daily.py`,
 * `dbt/schema.yml`). The agent may name it in the fence's info string (`file=…`, `title="…"`) or on the
 * block's first comment line; otherwise the name comes from the content, else `block-<n>.<ext>`. Names
 * are model text: they are sanitised into short relative paths of safe characters, unique per answer. Pure.
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

export const DEFAULT_FILE_NAME_OPTIONS: FileNameOptions = { minLines: 15, maxPathChars: 100 };

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

const MAX_SEGMENT_CHARS = 64;
const MAX_SEGMENTS = 4;

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
    const fromContent = named ? undefined : contentName(block);
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

const DIAGRAM_KINDS: [RegExp, string][] = [
  [/^\s*erDiagram\b/, 'er-diagram'],
  [/^\s*(?:flowchart|graph)\b/, 'flowchart'],
  [/^\s*sequenceDiagram\b/, 'sequence'],
  [/^\s*classDiagram\b/, 'class-diagram'],
  [/^\s*stateDiagram/, 'state-diagram'],
];

/**
 * The PNG name of every ```mermaid block: the agent's name with `.png`, else its kind (`er-diagram.png`,
 * `flowchart.png`); unique among themselves and against `taken` (the answer's code files' paths).
 */
export function diagramFiles(blocks: CodeBlock[], taken: Iterable<string> = []): CodeFile[] {
  const used = new Set([...taken].map((p) => p.toLowerCase()));
  const files: CodeFile[] = [];
  for (const block of blocks) {
    if (block.language !== 'mermaid') continue;
    const named = agentName(block);
    const safe = named ? sanitisePath(named.replace(/\.[A-Za-z0-9]{1,10}$/, ''), 90) : '';
    const body = block.body.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('%%')) ?? '';
    const kind = DIAGRAM_KINDS.find(([pattern]) => pattern.test(body))?.[1] ?? `diagram-${block.index}`;
    const path = unique(`${safe || kind}.png`, used);
    used.add(path.toLowerCase());
    files.push({
      blockIndex: block.index,
      path,
      fileName: path.split('/').pop() ?? path,
      source: safe ? 'agent' : 'content',
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
function agentName(block: CodeBlock): string | undefined {
  const fromInfo = infoName(block);
  if (fromInfo) return fromInfo;
  const firstLine = block.body.split('\n', 1)[0] ?? '';
  return FIRST_LINE_NAME.exec(firstLine)?.[1];
}

const IDENT = String.raw`(?:"[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|[\w$]+)`;
const DDL =
  /^\s*(?:create|alter)\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|transient|external|materialized|secure|global|local|unlogged)\s+)*(?:table|view|schema|index|unique\s+index|stream|task|pipe|dynamic\s+table|function|procedure)\b/im;
const CREATED = new RegExp(
  String.raw`^\s*create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|transient|external|materialized|secure|global|local|unlogged|dynamic)\s+)*(?:table|view|stream|task|pipe)\s+(?:if\s+not\s+exists\s+)?((?:${IDENT}\.){0,2}${IDENT})`,
  'im',
);
const MERGED = new RegExp(
  String.raw`^\s*(?:merge|insert)\s+(?:overwrite\s+)?into\s+((?:${IDENT}\.){0,2}${IDENT})`,
  'im',
);
const AIRFLOW_DAG = /\bDAG\s*\(\s*(?:dag_id\s*=\s*)?["']([\w.-]+)["']/;
const AIRFLOW_DECORATOR = /@dag\b[^\n]*(?:dag_id\s*=\s*["']([\w.-]+)["'])?[\s\S]*?\ndef\s+(\w+)/;

/** A name read from what the block holds. */
function contentName(block: CodeBlock): string | undefined {
  const body = block.body;
  switch (language(block)) {
    case 'sql': {
      const created = CREATED.exec(body)?.[1];
      if (created) return `${lastPart(created)}.sql`;
      const target = MERGED.exec(body)?.[1];
      return target ? `load_${lastPart(target)}.sql` : undefined;
    }
    case 'py': {
      const dag = AIRFLOW_DAG.exec(body)?.[1];
      if (dag) return `dags/${dag}.py`;
      const decorated = AIRFLOW_DECORATOR.exec(body);
      return decorated ? `dags/${decorated[1] ?? decorated[2]}.py` : undefined;
    }
    case 'yml':
      return yamlName(body);
    case 'toml':
      return /^\[(?:project|tool\.[\w-]+)\]/m.test(body) ? 'pyproject.toml' : undefined;
    case '':
      return block.language === 'dockerfile'
        ? 'Dockerfile'
        : block.language === 'makefile'
          ? 'Makefile'
          : undefined;
    default:
      return undefined;
  }
}

function yamlName(body: string): string | undefined {
  if (/^models\s*:/m.test(body) || (/^version\s*:\s*2/m.test(body) && /^\s+-\s*name\s*:/m.test(body))) {
    return /^sources\s*:/m.test(body) && !/^models\s*:/m.test(body) ? 'dbt/sources.yml' : 'dbt/schema.yml';
  }
  if (/^sources\s*:/m.test(body)) return 'dbt/sources.yml';
  if (/^profile\s*:/m.test(body) && /^name\s*:/m.test(body)) return 'dbt_project.yml';
  if (/^services\s*:/m.test(body)) return 'docker-compose.yml';
  return undefined;
}

/** `analytics."fct_sessions"` → `fct_sessions`. */
function lastPart(qualified: string): string {
  const parts = qualified.match(new RegExp(IDENT, 'g')) ?? [qualified];
  return (parts[parts.length - 1] ?? qualified).replace(/^["`[]|["`\]]$/g, '');
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

/**
 * A relative path of safe characters: no absolute paths, no drive letters, no `.` or `..` parts, no
 * leading dots (hidden files), at most MAX_SEGMENTS parts of MAX_SEGMENT_CHARS, the whole cut to maxChars
 * keeping its extension. '' when nothing is left.
 */
export function sanitisePath(name: string, maxChars = DEFAULT_FILE_NAME_OPTIONS.maxPathChars): string {
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
function unique(path: string, taken: Set<string>): string {
  if (!taken.has(path.toLowerCase())) return path;
  const ext = /\.[A-Za-z0-9]{1,10}$/.exec(path)?.[0] ?? '';
  const stem = path.slice(0, path.length - ext.length);
  for (let n = 2; ; n += 1) {
    const candidate = `${stem}-${n}${ext}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}
