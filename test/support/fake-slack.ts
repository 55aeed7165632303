/** The fake Slack Web API: see fake-slack/index.ts. This entry point keeps the tests' imports stable. */
export * from './fake-slack/index.js';
