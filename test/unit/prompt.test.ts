import { describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT } from '../../src/agent/prompt.js';

/** The seed (shared/seed/data-engineer.md) lists what the agent must carry; each point must be in the prompt. */
const SEED_POINTS: Record<string, string[]> = {
  responsibilities: [
    'Data architecture',
    'ETL/ELT pipelines',
    'Analytics infrastructure',
    'Data quality and governance',
  ],
  architecture: ['data models and schemas', 'warehouse', 'real-time and batch'],
  pipelines: ['ingestion', 'transformation logic', 'error handling', 'recovery', 'performance'],
  analytics: ['analytics databases', 'data marts', 'aggregation', 'self-service analytics'],
  governance: ['validation rules', 'quality monitoring', 'lineage', 'documentation'],
  databases: [
    'PostgreSQL',
    'MySQL',
    'SQL Server',
    'MongoDB',
    'DynamoDB',
    'Cassandra',
    'Snowflake',
    'BigQuery',
    'Redshift',
    'InfluxDB',
    'TimescaleDB',
  ],
  processing: [
    'Spark',
    'Hadoop',
    'Kafka',
    'Kinesis',
    'Flink',
    'Airflow',
    'Dagster',
    'Prefect',
    'SQL',
    'Python',
    'Scala',
  ],
  tools: [
    'Tableau',
    'Power BI',
    'Looker',
    'Jupyter',
    'Databricks',
    'MLflow',
    'Kubeflow',
    'Datadog',
    'Grafana',
  ],
  format: [
    '## Data Engineering Solution: <',
    '### Data Architecture',
    'Schema design',
    'Storage strategy',
    'Processing approach',
    '### Implementation Plan',
    'Pipeline components',
    'Technology choices',
    'Performance targets',
    '### Quality Assurance',
    'Validation rules',
    'Monitoring approach',
    'Recovery procedures',
    '### Code/Configuration',
  ],
  standards: ['99.9%', '99.5%', 'under 2 seconds', 'data dictionaries', 'Unit and integration tests'],
  collaboration: [
    'Backend developers: API data contracts',
    'DevOps: infrastructure provisioning',
    'Security: data encryption and access',
    'QA engineers: data validation testing',
  ],
  practices: [
    'Design for scale from day one',
    'Process incrementally',
    'Monitor data quality continuously',
    'Document every transformation',
    'version control',
    'queries people will actually run',
    'disaster recovery',
  ],
  mission: ['accurate', 'reachable', 'business decisions'],
};

describe('system prompt', () => {
  for (const [area, phrases] of Object.entries(SEED_POINTS)) {
    it(`carries the seed's ${area}`, () => {
      for (const phrase of phrases) expect(SYSTEM_PROMPT).toContain(phrase);
    });
  }

  it('holds nothing per request, so it is cached across every thread', () => {
    expect(SYSTEM_PROMPT).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(SYSTEM_PROMPT).not.toMatch(/<@[UW][A-Z0-9]+>|\bU[A-Z0-9]{8,}\b/);
  });

  it('is long enough to pass the prompt-cache minimum (about 1,024 tokens)', () => {
    expect(SYSTEM_PROMPT.length / 4).toBeGreaterThan(1024);
  });

  it('asks the model to test its SQL in the sandbox, fix what fails, declare the dialect and report in QA', () => {
    expect(SYSTEM_PROMPT).toContain('run_sql tool');
    expect(SYSTEM_PROMPT).toMatch(/Create your tables .* insert a few hundred synthetic rows/);
    expect(SYSTEM_PROMPT).toMatch(/data-quality checks as queries that count failing rows/);
    expect(SYSTEM_PROMPT).toMatch(/When something fails, read the exact error, fix the SQL and run it again/);
    expect(SYSTEM_PROMPT).toMatch(/In Quality Assurance, say what you ran in the sandbox and what came back/);
    expect(SYSTEM_PROMPT).toContain('"Dialect: PostgreSQL"');
  });

  it('tells the model never to broadcast or mention people', () => {
    expect(SYSTEM_PROMPT).toMatch(/Never use @channel, @here, @everyone/);
  });
});
