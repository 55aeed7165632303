import { type SandboxSession, SandboxUnavailableError, type SqlSandbox } from './sandbox.js';

/**
 * Why this file exists: one answer = one sandbox session, opened only when the agent first calls
 * `run_sql` (most answers never do, and then no child process starts) and closed when the answer ends.
 */
export interface AnswerSandbox {
  /** The answer's session, opened on first use; the same one for every later call. */
  session(): Promise<SandboxSession>;
  /** Closes the session if one was opened. Safe to call more than once. */
  close(): Promise<void>;
}

export function answerSandbox(sandbox: SqlSandbox): AnswerSandbox {
  let opening: Promise<SandboxSession> | undefined;
  return {
    session() {
      if (!opening) {
        opening = sandbox.openSession();
        // A failed open is retried on the next call rather than remembered.
        opening.catch(() => {
          opening = undefined;
        });
      }
      return opening;
    },
    async close() {
      const current = opening;
      opening = undefined;
      if (!current) return;
      await current.then((s) => s.close()).catch(() => undefined);
    },
  };
}

/** The sandbox when none is configured (SANDBOX_ENABLED=false): every session is refused. */
export const SANDBOX_OFF: SqlSandbox = {
  openSession: () => Promise.reject(new SandboxUnavailableError('the sandbox is turned off')),
};
