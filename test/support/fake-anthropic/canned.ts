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
