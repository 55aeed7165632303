/** The fake Anthropic Messages API: see fake-anthropic/index.ts. This entry point keeps the tests' imports stable. */
export * from './fake-anthropic/index.js';
