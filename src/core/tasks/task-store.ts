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
  getTask(teamId: string, taskId: number): Promise<Task | undefined>;
  /** The task whose conversation lives in this thread, if the bot owns it. */
  findTaskByThread(teamId: string, channelId: string, threadTs: string): Promise<Task | undefined>;
  setThread(teamId: string, taskId: number, threadTs: string): Promise<void>;
  markRunning(teamId: string, taskId: number, model: string): Promise<void>;
  setAnswerTs(teamId: string, taskId: number, answerTs: string): Promise<void>;
  /** The Stop button's message of the answer being written, or null once it is gone. */
  setStopControlTs(teamId: string, taskId: number, ts: string | null): Promise<void>;
  markContextTrimmed(teamId: string, taskId: number): Promise<void>;
  completeTask(teamId: string, taskId: number, usage: Usage, costUsd: number): Promise<void>;
  failTask(teamId: string, taskId: number, reason: string, usage: Usage, costUsd: number): Promise<void>;
  /** The agent asked questions: the task waits for a human reply in its thread. */
  markWaiting(teamId: string, taskId: number, usage: Usage, costUsd: number): Promise<void>;
  addTurn(
    teamId: string,
    taskId: number,
    turn: Turn & { userId?: string; slackTs?: string; usage?: Usage },
  ): Promise<void>;
  /**
   * Reserves the assistant turn's place in the conversation before the model is called, so replies
   * that arrive while it answers come after it (the model had not seen them).
   */
  beginAssistantTurn(teamId: string, taskId: number): Promise<ReservedTurn>;
  /** The messages the reserved turn's answer is being written into, as each appears. */
  setTurnMessages(teamId: string, turnId: number, messageTs: string[]): Promise<void>;
  finishAssistantTurn(
    teamId: string,
    turnId: number,
    content: string,
    usage: Usage,
    slackTs?: string,
  ): Promise<void>;
  discardTurn(teamId: string, turnId: number): Promise<void>;
  /** The task's first turn (the request itself). */
  firstTurn(teamId: string, taskId: number): Promise<{ id: number; content: string } | undefined>;
  setTurnContent(teamId: string, turnId: number, content: string): Promise<void>;
  /** The conversation so far, without reserved turns that have no content yet. */
  listTurns(teamId: string, taskId: number): Promise<Turn[]>;
}

/**
 * An assistant turn reserved before the model is called. A turn left unfinished by a crash is reused
 * when the task's job runs again, with the messages its answer had reached.
 */
export interface ReservedTurn {
  id: number;
  messageTs: string[];
}
