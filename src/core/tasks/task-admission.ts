import type { DeliveryKey, Task } from '../domain.js';
import type { JobPayload } from '../jobs/jobs.js';
import type { NewTask } from './task-store.js';

/**
 * The writes that let work in, each one unit of work (one transaction): what is stored, the
 * delivery that brought it (so a redelivery is recognised), its count toward USER_TASKS_PER_HOUR and
 * the task's job in the queue. Each checks the limits (DAILY_TOKEN_BUDGET, USER_TASKS_PER_HOUR) in
 * that same transaction, after recognising a redelivery, and throws OverLimit with nothing stored, so
 * requests arriving together cannot pass a limit together. The use cases decide when work is admitted;
 * the stores never queue work on their own.
 */
export interface TaskAdmission {
  /**
   * Inserts the task with its first turn, records the delivery and queues the task's job; a repeated
   * delivery returns the first task (and queues nothing).
   */
  createTask(
    task: NewTask,
    delivery: DeliveryKey,
    job?: JobPayload,
  ): Promise<{ task: Task; created: boolean }>;
  /**
   * Stores a human reply in a task's thread as a user turn, once per delivery (event id, and channel +
   * message ts), and queues the task's job. Returns false when this delivery was handled before.
   */
  recordFollowUp(
    teamId: string,
    taskId: number,
    delivery: DeliveryKey,
    turn: { content: string; userId: string; slackTs: string },
  ): Promise<boolean>;
  /**
   * A failed task back in the queue (the Retry button), counted toward `userId`'s hourly limit: false
   * when it is not failed (any more), OverLimit when it is but `userId` may not start a call now.
   */
  retryFailed(teamId: string, taskId: number, userId: string): Promise<boolean>;
}
