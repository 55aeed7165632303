/** Canned model output for tests and benchmarks. */
import type { MessageReply } from './types.js';

/** A realistic four-section answer (≈2.5k characters) as the bot's system prompt asks for. */
export function dataEngineeringAnswer(taskName = 'Pipeline for user analytics'): string {
  return `## Data Engineering Solution: ${taskName}

### Data Architecture
- **Sources:** application events from Kafka (\`events.user_activity\`, ~40k msgs/s at peak) and a nightly CDC export of the \`users\` table from Postgres.
- **Ingestion:** a Kafka Connect S3 sink writes Parquet files partitioned by \`event_date\` and \`event_hour\`; Debezium handles the CDC stream.
- **Storage:** a lakehouse on S3 with Apache Iceberg tables in three layers — \`raw\` (append only, 30-day retention), \`staging\` (deduplicated, typed) and \`marts\` (business-facing aggregates).
- **Compute:** dbt on Snowflake for the transformations; Airflow orchestrates the hourly and daily DAGs.
- **Serving:** the \`marts.user_daily_activity\` table feeds the product dashboards through Looker.

### Implementation Plan
1. Create the Iceberg tables and register them in the Glue catalog (day 1).
2. Deploy the S3 sink connector with exactly-once delivery and a dead-letter topic for malformed events (days 2–3).
3. Build the dbt staging models: cast types, drop test accounts, deduplicate on \`event_id\` (days 3–5).
4. Build the incremental mart \`user_daily_activity\` with a \`merge\` strategy on \`(user_id, activity_date)\` (days 5–7).
5. Schedule the Airflow DAG hourly, with a daily backfill task for late-arriving events up to 72 hours old.
6. Hand the dashboards over to analytics and document the tables in the data catalog.

### Quality Assurance
- dbt tests: \`unique\` and \`not_null\` on keys, \`accepted_values\` on \`event_type\`, \`relationships\` from events to users.
- Freshness SLA: alert in #data-alerts when \`raw.user_events\` is more than 2 hours behind.
- Volume anomaly check: flag a day whose event count deviates more than 3σ from the trailing 28-day mean.
- Reconciliation: compare daily counts between Kafka offsets and the raw table; tolerate < 0.1 % drift.
- Every model change goes through CI with \`dbt build --select state:modified+\` against a staging clone.

### Code/Configuration
\`\`\`sql
-- models/marts/user_daily_activity.sql
{{ config(materialized='incremental', unique_key=['user_id', 'activity_date'], incremental_strategy='merge') }}

select
  e.user_id,
  cast(e.event_ts as date)                      as activity_date,
  count(*)                                      as events,
  count(distinct e.session_id)                  as sessions,
  sum(iff(e.event_type = 'purchase', 1, 0))     as purchases,
  max(e.event_ts)                               as last_seen_at
from {{ ref('stg_user_events') }} e
{% if is_incremental() %}
where e.event_ts >= dateadd('hour', -72, (select max(last_seen_at) from {{ this }}))
{% endif %}
group by 1, 2
\`\`\`

Start with the staging layer and its tests: once deduplication is trusted, the marts are cheap to rebuild.
`;
}

/** The security request most collaboration tests raise: PII encryption for an orders mart. */
export const PII_SECURITY_REQUEST = {
  role: 'security',
  topic: 'PII encryption for the orders mart',
  request: 'Provide a KMS key per environment.',
  reason: 'The orders mart stores customer emails.',
};

/** A model turn that writes `text` and then calls request_collaboration with `input`. */
export function collaborationRound(
  input: Record<string, string> = PII_SECURITY_REQUEST,
  text = '## Orders mart\n',
): MessageReply {
  return {
    kind: 'message',
    content: [
      { type: 'text', text },
      { type: 'tool_use', name: 'request_collaboration', input },
    ],
  };
}

/**
 * A model turn that calls the bot's run_sql tool (Messages API `tool_use`, stop_reason `tool_use`):
 * one call per SQL text, in order, optionally after some text. The bot answers each with a
 * `tool_result` in the next request, which the fake checks (validate.ts).
 */
export function sqlToolRound(sql: string | string[], purpose?: string, text?: string): MessageReply {
  const calls = Array.isArray(sql) ? sql : [sql];
  return {
    kind: 'message',
    content: [
      ...(text ? [{ type: 'text' as const, text }] : []),
      ...calls.map((one) => ({
        type: 'tool_use' as const,
        name: 'run_sql',
        input: { sql: one, ...(purpose ? { purpose } : {}) },
      })),
    ],
  };
}

const fenced = (info: string, body: string) => `\`\`\`${info}\n${body}\n\`\`\``;

/** The DDL the scripted sandbox answer posts (DuckDB and PostgreSQL both accept it). */
export const ORDERS_DDL = [
  'create table orders (',
  '  order_id bigint primary key,',
  '  customer_id bigint not null,',
  "  status varchar(20) not null check (status in ('new', 'paid', 'shipped')),",
  '  amount decimal(12, 2),',
  '  created_at timestamp not null',
  ');',
].join('\n');

/** The synthetic rows the scripted answer loads: 500, one in fifty without an amount. */
export const ORDERS_SAMPLE = [
  'insert into orders',
  "select range, range % 37, case range % 3 when 0 then 'new' when 1 then 'paid' else 'shipped' end,",
  '       case when range % 50 = 0 then null else (range % 200) * 1.25 end,',
  "       timestamp '2026-01-01' + to_minutes(range)",
  'from range(500);',
].join('\n');

/** The data-quality checks: failing-row counts (null rate of customer_id, duplicate keys). */
export const ORDERS_CHECKS = [
  'select count(*) filter (where customer_id is null) as null_customer_ids,',
  '       count(*) - count(distinct order_id) as duplicate_keys,',
  '       count(*) as total_rows',
  'from orders;',
].join('\n');

/**
 * A whole sandboxed answer, as the prompt asks for it: a DDL that fails (a missing parenthesis), the
 * fixed DDL with 500 synthetic rows, the quality checks, then the answer, whose blocks all pass.
 */
export function sandboxedAnswerScript(): MessageReply[] {
  const brokenDdl = ORDERS_DDL.replace('varchar(20)', 'varchar(20');
  return [
    sqlToolRound(brokenDdl, 'creating the orders table'),
    sqlToolRound(`${ORDERS_DDL}\n${ORDERS_SAMPLE}`, 'loading 500 synthetic orders'),
    sqlToolRound(ORDERS_CHECKS, 'the quality checks on sample data'),
    {
      kind: 'message',
      content: [
        {
          type: 'text',
          text: [
            '## Data Engineering Solution: Orders mart',
            '',
            '### Quality Assurance',
            '- null-rate check on customer_id: 0 failing rows of 500 synthetic rows; duplicate keys: 0.',
            '',
            '### Code/Configuration',
            fenced('sql', ORDERS_DDL),
            fenced('sql', ORDERS_CHECKS.replace('from orders;', 'from orders')),
            fenced(
              'yaml',
              'models:\n  - name: orders\n    columns:\n      - name: order_id\n        tests: [unique, not_null]',
            ),
          ].join('\n'),
        },
      ],
    },
  ];
}
