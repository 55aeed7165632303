import type { NewTask } from '../../src/core/tasks/task-store.js';

/** A mention task in team T1, for unit tests of the store, the queue and the worker. */
export const MENTION_TASK: NewTask = {
  teamId: 'T1',
  channelId: 'C1',
  requesterId: 'U1',
  source: 'mention',
  text: 'design it',
  title: 'design it',
  threadTs: '1.1',
  firstTurn: { content: 'design it' },
};
