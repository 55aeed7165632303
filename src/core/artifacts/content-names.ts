import type { CodeBlock } from '../checks/code-blocks.js';

/**
 * Why this file exists: a code block the agent did not name gets the name a data engineer would give
 * it, read from what it holds: the table a DDL creates (`fct_sessions.sql`), the DAG id of an Airflow
 * file (`dags/x.py`), the kind of a YAML file (`dbt/schema.yml`). Pure.
 */

const IDENT = String.raw`(?:"[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|[\w$]+)`;
export const DDL =
  /^\s*(?:create|alter)\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|transient|external|materialized|secure|global|local|unlogged)\s+)*(?:table|view|schema|index|unique\s+index|stream|task|pipe|dynamic\s+table|function|procedure)\b/im;
const CREATED = new RegExp(
  String.raw`^\s*create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|transient|external|materialized|secure|global|local|unlogged|dynamic)\s+)*(?:table|view|stream|task|pipe)\s+(?:if\s+not\s+exists\s+)?((?:${IDENT}\.){0,2}${IDENT})`,
  'im',
);
const MERGED = new RegExp(
  String.raw`^\s*(?:merge|insert)\s+(?:overwrite\s+)?into\s+((?:${IDENT}\.){0,2}${IDENT})`,
  'im',
);
export const AIRFLOW_DAG = /\bDAG\s*\(\s*(?:dag_id\s*=\s*)?["']([\w.-]+)["']/;
export const AIRFLOW_DECORATOR = /@dag\b[^\n]*(?:dag_id\s*=\s*["']([\w.-]+)["'])?[\s\S]*?\ndef\s+(\w+)/;

/** A name read from what the block holds; `extension` is the block's language as a file extension. */
export function contentName(block: CodeBlock, extension: string): string | undefined {
  const body = block.body;
  switch (extension) {
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
