import type { Task, Turn, Usage } from '../domain.js';

export interface NewTask {
  teamId: string;
  channelId: string;
  requesterId: string;
  source: Task['source'];
  text: string;
  title: string;
  threadTs?: string;
  /** The conversation's first turn, stored with the task so later replies always come after it. */
  firstTurn: { content: string; slackTs?: string };
}

/** A task and its conversation, read and updated; letting work in is TaskAdmission's (task-admission.ts). */
export interface TaskStore {
  getTask(teamId: string, taskId: number): Task | undefined;
  /** The task whose conversation lives in this thread, if the bot owns it. */
  findTaskByThread(teamId: string, channelId: string, threadTs: string): Task | undefined;
  setThread(teamId: string, taskId: number, threadTs: string): void;
  markRunning(teamId: string, taskId: number, model: string): void;
  setAnswerTs(teamId: string, taskId: number, answerTs: string): void;
  /** The Stop button's message of the answer being written, or null once it is gone. */
  setStopControlTs(teamId: string, taskId: number, ts: string | null): void;
  markContextTrimmed(teamId: string, taskId: number): void;
  completeTask(teamId: string, taskId: number, usage: Usage, costUsd: number): void;
  failTask(teamId: string, taskId: number, reason: string, usage: Usage, costUsd: number): void;
  /** The agent asked questions: the task waits for a human reply in its thread. */
  markWaiting(teamId: string, taskId: number, usage: Usage, costUsd: number): void;
  addTurn(
    teamId: string,
    taskId: number,
    turn: Turn & { userId?: string; slackTs?: string; usage?: Usage },
  ): void;
  /**
   * Reserves the assistant turn's place in the conversation before the model is called, so replies
   * that arrive while it answers come after it (the model had not seen them).
   */
  beginAssistantTurn(teamId: string, taskId: number): ReservedTurn;
  /** The messages the reserved turn's answer is being written into, as each appears. */
  setTurnMessages(teamId: string, turnId: number, messageTs: string[]): void;
  finishAssistantTurn(teamId: string, turnId: number, content: string, usage: Usage, slackTs?: string): void;
  discardTurn(teamId: string, turnId: number): void;
  /** The task's first turn (the request itself). */
  firstTurn(teamId: string, taskId: number): { id: number; content: string } | undefined;
  setTurnContent(teamId: string, turnId: number, content: string): void;
  /** The conversation so far, without reserved turns that have no content yet. */
  listTurns(teamId: string, taskId: number): Turn[];
}

/**
 * An assistant turn reserved before the model is called. A turn left unfinished by a crash is reused
 * when the task's job runs again, with the messages its answer had reached.
 */
export interface ReservedTurn {
  id: number;
  messageTs: string[];
}
