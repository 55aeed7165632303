/** A design answer with every kind of deliverable, for the deliverables tests and the bench. */

export const SCHEMA_DDL = `CREATE SCHEMA IF NOT EXISTS analytics;

CREATE TABLE analytics.dim_users (
  user_id BIGINT PRIMARY KEY,
  email VARCHAR NOT NULL,
  country_code VARCHAR(2),
  signed_up_at TIMESTAMP NOT NULL
);

CREATE TABLE analytics.fct_sessions (
  session_id BIGINT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES analytics.dim_users (user_id),
  started_at TIMESTAMP NOT NULL,
  ended_at TIMESTAMP,
  page_views INTEGER NOT NULL DEFAULT 0,
  revenue DECIMAL(12, 2)
);`;

/** The follow-up's DDL: fct_sessions gains device_type. */
export const SCHEMA_DDL_WITH_DEVICE = SCHEMA_DDL.replace(
  '  revenue DECIMAL(12, 2)\n',
  '  revenue DECIMAL(12, 2),\n  device_type VARCHAR\n',
);

export const DAG = `from datetime import datetime

from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

with DAG("sessions_daily", start_date=datetime(2026, 1, 1), schedule="@daily", catchup=False) as dag:
    load = SQLExecuteQueryOperator(task_id="load_sessions", conn_id="warehouse", sql="models/load_sessions.sql")`;

export const DBT_SCHEMA = `version: 2
models:
  - name: fct_sessions
    columns:
      - name: session_id
        tests: [unique, not_null]`;

export const CHECKS = `-- quality checks
-- every session belongs to a user
SELECT count(*) FROM analytics.fct_sessions s LEFT JOIN analytics.dim_users u ON u.user_id = s.user_id WHERE u.user_id IS NULL;
-- page_views is never negative
SELECT count(*) FROM analytics.fct_sessions WHERE page_views < 0;`;

export const ER_DIAGRAM = `erDiagram
  DIM_USERS ||--o{ FCT_SESSIONS : has
  DIM_USERS {
    bigint user_id PK
    varchar email
    varchar country_code
  }
  FCT_SESSIONS {
    bigint session_id PK
    bigint user_id FK
    timestamp started_at
    int page_views
  }`;

export const FLOWCHART = `flowchart LR
  A[Kafka: events.user_activity] --> B[Flink sessioniser]
  B --> C[(analytics.fct_sessions)]
  C --> D[Looker dashboards]`;

/** Does not parse: an unclosed bracket. */
export const BROKEN_DIAGRAM = `flowchart LR
  A[Load --> B`;

export function designAnswer(ddl = SCHEMA_DDL): string {
  return `## Data Engineering Solution: Sessions mart

### Data Architecture
- \`analytics.dim_users\` (one row per user) and \`analytics.fct_sessions\` (one row per session).

\`\`\`mermaid
${ER_DIAGRAM}
\`\`\`

### Implementation Plan
\`\`\`mermaid
${FLOWCHART}
\`\`\`

\`\`\`mermaid
${BROKEN_DIAGRAM}
\`\`\`

### Quality Assurance
\`\`\`sql
${CHECKS}
\`\`\`

### Code/Configuration
\`\`\`sql file=models/analytics_schema.sql
${ddl}
\`\`\`

\`\`\`python
${DAG}
\`\`\`

\`\`\`yaml
${DBT_SCHEMA}
\`\`\`

\`\`\`sql
select 1;
\`\`\`
`;
}

/** What the agent passes to publish_data_dictionary: fct_sessions.revenue is left without a description. */
export const DICTIONARY_INPUT = {
  tables: [
    {
      table: 'analytics.dim_users',
      description: 'One row per registered user. Ask <@U0BOB0001> or <!channel> for access.',
      columns: [
        { name: 'user_id', description: 'Surrogate key of the user.' },
        { name: 'email', description: 'Login e-mail, see [the policy](https://evil.example/x).', pii: true },
        { name: 'country_code', description: 'ISO 3166-1 alpha-2 country.' },
        { name: 'signed_up_at', description: 'When the account was created (UTC).' },
      ],
    },
    {
      table: 'analytics.fct_sessions',
      description: 'One row per user session, from the Flink sessioniser.',
      columns: [
        { name: 'session_id', description: 'Session key.' },
        { name: 'user_id', description: 'The user of the session.' },
        { name: 'started_at', description: 'First event of the session.' },
        { name: 'ended_at', description: 'Last event of the session; null while open.' },
        { name: 'page_views', description: '=HYPERLINK("http://x") page views in the session.' },
      ],
    },
  ],
};
