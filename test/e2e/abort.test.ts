import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { collaborationRound, dataEngineeringAnswer, textReply } from '../support/fake-anthropic.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { isFeedbackPrompt } from '../support/feedback.js';
import { type Harness, startHarness, TEST_SECRETS } from '../support/harness.js';
import { blockActionsBody, postSigned } from '../support/slack-signing.js';
import { until } from '../support/wait.js';

const CHANNEL = 'C0GENERAL1';
const REQUESTER = 'U0USER0001';
const ANSWER = dataEngineeringAnswer('Abortable pipeline');
/** Slow enough (several seconds) that the answer is still streaming when the test intervenes. */
const SLOW = { tokensPerSecond: 40 };

type TaskRow = { status: string };

/**
 * A job's AbortSignal: a lost lease, a stop past its grace period and the Stop button each end the
 * model request (the fake Anthropic sees the connection closed) and every Slack write of that run.
 */
describe('aborting a job mid-answer', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const chatWrites = () => h.slack.calls.filter((c) => c.method.startsWith('chat.')).length;
  const parent = () => h.slack.messages.find((m) => m.channel === CHANNEL && m.bot_id && !m.thread_ts);
  const replies = (): FakeMessage[] => {
    const root = parent();
    return root ? h.slack.messages.filter((m) => m.thread_ts === root.ts && m.ts !== root.ts) : [];
  };
  const appends = () => h.slack.callsTo('chat.appendStream').length;
  const failureNotes = () =>
    replies().filter(
      (m) => JSON.stringify(m.blocks ?? []).includes('task_retry') || /went wrong/.test(m.text ?? ''),
    );
  const firstRequestClosed = () => h.anthropic.requests[0]?.closedByClient === true;
  /** The first model request was closed by the bot or streamed to its end. */
  const firstRequestEnded = () => firstRequestClosed() || h.anthropic.requests[0]?.completed === true;
  const taskStatus = () => h.query<TaskRow>('select status from tasks')[0]?.status;

  /** Lets any timer of an aborted writer fire (they run every 50 ms in tests): there must be none. */
  const settleWriters = () => new Promise((resolve) => setTimeout(resolve, 500));

  it('stops writing when another worker has taken its lease: two writers never share an answer', async () => {
    h = await startHarness();
    h.anthropic.setDefault(textReply(ANSWER, SLOW));
    await h.command('design a pipeline for orders', { channel_id: CHANNEL });
    await until(() => appends() >= 2);
    // Another worker takes the job over (as after a renewal that failed for longer than the lease).
    const db = new Database(h.databasePath);
    db.prepare(
      "update jobs set lease_owner = 'worker-elsewhere', lease_expires_at = ? where state = 'running'",
    ).run(Date.now() + 600_000);
    db.close();
    // Today's code renews in vain and goes on writing to the end; the fix aborts the model request.
    await until(() => firstRequestEnded());
    expect(firstRequestClosed()).toBe(true);
    await until(() => h.logs.some((line) => line.includes('job aborted')));
    const writes = chatWrites();
    await settleWriters();
    expect(chatWrites()).toBe(writes);
    // The new owner finishes the answer: nothing was recorded as failed, no note was posted.
    expect(taskStatus()).toBe('running');
    expect(failureNotes()).toHaveLength(0);
    expect(replies().every((m) => (m.markdown_text ?? '').trim() !== ANSWER.trim())).toBe(true);
  });

  it('a stop past its grace period posts no failure note, and the next start answers once', async () => {
    h = await startHarness();
    h.anthropic.setDefault(textReply(ANSWER, SLOW));
    await h.command('design a pipeline for payments', { channel_id: CHANNEL });
    await until(() => appends() >= 2);
    h.anthropic.setDefault(textReply(ANSWER)); // the next start answers at full speed
    await h.restart(); // stop with a grace period of 0, then start again on the same database
    await h.app.idle();
    // Today's code lets the first run go on under a closed database until it posts a failure note.
    await until(() => firstRequestClosed() || failureNotes().length > 0, 20_000);
    expect(failureNotes()).toHaveLength(0);
    expect(firstRequestClosed()).toBe(true);
    expect(taskStatus()).toBe('done');
    // The restarted answer rewrote its message in place: 👍/👎 then come in a message of their own.
    const answers = replies().filter((m) => !isFeedbackPrompt(m));
    expect(answers).toHaveLength(1);
    expect(answers[0]?.markdown_text?.trim()).toBe(ANSWER.trim());
    expect(h.logs.some((line) => line.includes('could not post the failure message'))).toBe(false);
  });

  it('a resumed answer keeps the Stop button an interrupted run posted but never stored', async () => {
    h = await startHarness();
    h.anthropic.setDefault(textReply(ANSWER, SLOW));
    await h.command('design a pipeline for refunds', { channel_id: CHANNEL });
    const stopButtons = () => replies().filter((m) => JSON.stringify(m.blocks ?? []).includes('task_stop'));
    await until(() => appends() >= 2 && stopButtons().length === 1);
    // As after a crash between Slack's post of the button and storing its ts: the row does not know it.
    const db = new Database(h.databasePath);
    db.prepare('update tasks set stop_control_ts = null').run();
    db.close();
    h.anthropic.setDefault(textReply(ANSWER));
    await h.restart();
    await h.app.idle();
    expect(taskStatus()).toBe('done');
    // Today's code posts a second button and removes only that one: the first stays under the answer.
    const posted = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => JSON.stringify(c.args).includes('task_stop'));
    expect(posted).toHaveLength(1);
    expect(stopButtons()).toHaveLength(0);
    const answers = replies().filter((m) => !isFeedbackPrompt(m));
    expect(answers).toHaveLength(1);
  });

  describe('the Stop button', () => {
    const stopControl = () => replies().find((m) => JSON.stringify(m.blocks ?? []).includes('task_stop'));
    const clickStop = (userId: string) =>
      postSigned(
        `${h.app.url}/slack/events`,
        blockActionsBody({
          userId,
          channelId: CHANNEL,
          messageTs: stopControl()?.ts ?? '',
          actionId: 'task_stop',
          value: '1',
          responseUrl: h.slack.responseUrl(),
        }),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
      );
    const privateReplies = () => h.slack.responses.map((r) => String((r.body as { text?: string }).text));

    async function startSlowAnswer(env: Record<string, string> = {}): Promise<void> {
      h = await startHarness({ env });
      for (const id of [REQUESTER, 'U0STRANGER1', 'U0ADMIN0001']) h.slack.addUser({ id });
      // A display name that looks like a broadcast must still notify no one.
      h.slack.addUser({ id: 'U0ADMIN0001', profile: { display_name: 'Bo @channel <!here>' } });
      h.anthropic.setDefault(textReply(ANSWER, SLOW));
      await h.command('design a pipeline for refunds', { channel_id: CHANNEL, user_id: REQUESTER });
      await until(() => stopControl() !== undefined && appends() >= 2);
    }

    /** The stop took: the model request closed, nothing more was written, one "Stopped by" line. */
    async function expectStoppedBy(name: string): Promise<void> {
      await until(() => firstRequestEnded());
      expect(firstRequestClosed()).toBe(true);
      await h.app.idle();
      const thread = replies();
      const writes = chatWrites();
      await settleWriters();
      expect(chatWrites()).toBe(writes);
      expect(replies()).toHaveLength(thread.length);
      expect(h.anthropic.requests).toHaveLength(1);
      expect(taskStatus()).toBe('done');
      const lines = thread.filter((m) => /Stopped by/.test(m.text ?? ''));
      expect(lines).toHaveLength(1);
      expect(lines[0]?.text).toContain(`Stopped by ${name}`);
      // The stopper is named, never mentioned: no one is notified.
      expect(JSON.stringify(lines[0])).not.toMatch(/<@|<!/);
      expect(JSON.stringify(lines[0]?.blocks ?? [])).not.toContain('task_stop');
      // The answer was not finished: the part shown stays, no further messages, no failure note.
      const answer = thread.find((m) => m.markdown_text !== undefined);
      expect(answer?.markdown_text?.trim()).not.toBe(ANSWER.trim());
      expect(answer?.streaming_state).not.toBe('in_progress');
      expect(failureNotes()).toHaveLength(0);
    }

    it('refuses anyone but the requester or an admin; the requester stops the model call and the whole answer', async () => {
      await startSlowAnswer();
      expect((await clickStop('U0STRANGER1')).status).toBe(200);
      await until(() => privateReplies().some((text) => text.includes('Only the person who asked')));
      expect(firstRequestClosed()).toBe(false);
      expect(taskStatus()).toBe('running');

      expect((await clickStop(REQUESTER)).status).toBe(200);
      await expectStoppedBy('u0user0001');
    });

    it('stops an answer written by another instance on the same database', async () => {
      await startSlowAnswer();
      const peer = await h.startPeer();
      const click = await postSigned(
        `${peer.url}/slack/events`,
        blockActionsBody({
          userId: REQUESTER,
          channelId: CHANNEL,
          messageTs: stopControl()?.ts ?? '',
          actionId: 'task_stop',
          value: '1',
          responseUrl: h.slack.responseUrl(),
        }),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
      );
      expect(click.status).toBe(200);
      await expectStoppedBy('u0user0001');
      expect(privateReplies().some((text) => text.includes('nothing to stop'))).toBe(false);
    });

    it('lets an admin stop someone else’s answer', async () => {
      await startSlowAnswer({ BOT_ADMINS: 'U0ADMIN0001' });
      expect((await clickStop('U0ADMIN0001')).status).toBe(200);
      await expectStoppedBy('Bo');
    });

    it('removes the Stop button when the answer ends on its own', async () => {
      h = await startHarness();
      await h.command('design a pipeline for refunds', { channel_id: CHANNEL });
      await h.app.idle();
      expect(stopControl()).toBeUndefined();
      expect(
        h.slack.callsTo('chat.postMessage').some((c) => JSON.stringify(c.args).includes('task_stop')),
      ).toBe(true);
      const thread = replies();
      expect(thread).toHaveLength(1);
      expect(thread[0]?.markdown_text?.trim()).toBe(dataEngineeringAnswer().trim());
      expect((await clickStop(REQUESTER)).status).toBe(200);
      await until(() => privateReplies().some((text) => text.includes('nothing to stop')));
    });

    it('a Stop pressed once the answer is written still lets its collaboration ping out', async () => {
      h = await startHarness();
      const SAM = 'U0SAM00001';
      h.slack.addUser({ id: REQUESTER, is_admin: true });
      h.slack.addUser({ id: SAM });
      await h.command(`owners set security <@${SAM}>`, { channel_id: CHANNEL, user_id: REQUESTER });
      await h.app.idle();
      h.anthropic.script(collaborationRound(), textReply('Encrypt the email column.'));
      // The answer is written; its Stop button is being removed (Slack is slow) when the requester,
      // who still sees it, presses it.
      const release = h.slack.holdNext('chat.delete');
      await h.command('design an orders mart with customer PII', { channel_id: CHANNEL, user_id: REQUESTER });
      await until(() => h.slack.callsTo('chat.delete').length === 1);
      const controlTs = String(h.slack.callsTo('chat.delete')[0]?.args.ts);
      const click = await postSigned(
        `${h.app.url}/slack/events`,
        blockActionsBody({
          userId: REQUESTER,
          channelId: CHANNEL,
          messageTs: controlTs,
          actionId: 'task_stop',
          value: '1',
          responseUrl: h.slack.responseUrl(),
        }),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
      );
      expect(click.status).toBe(200);
      await until(() => h.logs.some((line) => line.includes('stop pressed')));
      release();
      await h.app.idle();
      // The answer stands, and the security owner got the ping the answer asked for.
      expect(taskStatus()).toBe('done');
      expect(replies().some((m) => m.markdown_text?.includes('Encrypt the email column'))).toBe(true);
      const pings = replies().filter((m) =>
        JSON.stringify(m.blocks ?? []).includes('collaboration_acknowledge'),
      );
      expect(pings).toHaveLength(1);
      expect(h.query<{ ping_ts: string | null }>('select ping_ts from collaboration_requests')).toEqual([
        { ping_ts: pings[0]?.ts },
      ]);
    });

    it('a Stop pressed while a finished answer’s ping goes out says there is nothing to stop, and the ping goes out', async () => {
      h = await startHarness();
      const SAM = 'U0SAM00001';
      h.slack.addUser({ id: REQUESTER, is_admin: true });
      h.slack.addUser({ id: SAM });
      await h.command(`owners set security <@${SAM}>`, { channel_id: CHANNEL, user_id: REQUESTER });
      await h.app.idle();
      h.anthropic.script(collaborationRound(), textReply('Encrypt the email column.'));
      const isPing = (args: Record<string, unknown>) =>
        JSON.stringify(args).includes('collaboration_acknowledge');
      const release = h.slack.holdNext('chat.postMessage', isPing);
      await h.command('design an orders mart with customer PII', { channel_id: CHANNEL, user_id: REQUESTER });
      await until(() => h.slack.callsTo('chat.postMessage').some((c) => isPing(c.args)));
      expect(taskStatus()).toBe('done');
      const click = await postSigned(
        `${h.app.url}/slack/events`,
        blockActionsBody({
          userId: REQUESTER,
          channelId: CHANNEL,
          messageTs: parent()?.ts ?? '',
          actionId: 'task_stop',
          value: '1',
          responseUrl: h.slack.responseUrl(),
        }),
        { signingSecret: TEST_SECRETS.signingSecret, contentType: 'application/x-www-form-urlencoded' },
      );
      expect(click.status).toBe(200);
      await until(() => h.logs.some((line) => line.includes('stop pressed')));
      release();
      await h.app.idle();
      expect(privateReplies().some((text) => text.includes('nothing to stop'))).toBe(true);
      expect(
        replies().filter((m) => JSON.stringify(m.blocks ?? []).includes('collaboration_acknowledge')),
      ).toHaveLength(1);
      expect(h.query('select * from jobs')).toHaveLength(0);
    });

    it('Slack’s own stop on the streaming message ends the model call and the whole answer too', async () => {
      h = await startHarness();
      h.anthropic.setDefault(textReply(ANSWER, SLOW));
      await h.command('design a pipeline for refunds', { channel_id: CHANNEL, user_id: REQUESTER });
      await until(() => appends() >= 2);
      const streaming = replies().find((m) => m.streaming_state === 'in_progress');
      h.slack.stopStreamAsUser(CHANNEL, streaming?.ts ?? '');
      // Today's code ends only that message and lets the model run to its end.
      await until(() => firstRequestEnded());
      expect(firstRequestClosed()).toBe(true);
      await h.app.idle();
      const writes = chatWrites();
      await settleWriters();
      expect(chatWrites()).toBe(writes);
      // Slack does not say who pressed its own control: the line says only that it stopped.
      expect(replies().filter((m) => /Stopped\./.test(m.text ?? ''))).toHaveLength(1);
      expect(replies().filter((m) => m.markdown_text !== undefined)).toHaveLength(1);
      expect(failureNotes()).toHaveLength(0);
    });
  });
});
