import { randomBytes } from 'node:crypto';
import { FAKE_TEAM_ID, type FakeMessage } from './fake-slack.js';

/**
 * The 👍/👎 of a final answer sent as a message of its own (when the answer's message could not carry
 * them: posted and edited rather than streamed, or rewritten after a retry).
 */
export function isFeedbackPrompt(message: FakeMessage): boolean {
  return (
    message.markdown_text === undefined && JSON.stringify(message.blocks ?? []).includes('feedback_buttons')
  );
}

let sequence = 0;

/** Slack's trigger_id shape (`<digits>.<digits>.<32 hex>`), different for each click. */
function triggerId(): string {
  sequence += 1;
  return `${Date.now()}${sequence}.${sequence}.${randomBytes(16).toString('hex')}`;
}

/** A click on Slack's feedback buttons (👍 or 👎), form-encoded as `payload=<json>` as Slack sends it. */
export function feedbackClickBody(fields: ClickFields): { body: string; triggerId: string } {
  return buttonClickBody(fields, {
    type: 'feedback_buttons',
    action_id: 'answer_feedback',
    block_id: 'feedback-1',
    text: { type: 'plain_text', text: fields.value.startsWith('up') ? '👍' : '👎', emoji: true },
  });
}

interface ClickFields {
  userId: string;
  channelId: string;
  messageTs: string;
  value: string;
  responseUrl: string;
  teamId?: string;
}

/** A click on a button of a bot message (`block_actions`), form-encoded as Slack sends it. */
export function buttonClickBody(
  fields: ClickFields,
  action: {
    type: string;
    action_id: string;
    block_id: string;
    text: { type: 'plain_text'; text: string; emoji?: boolean };
  },
): { body: string; triggerId: string } {
  const teamId = fields.teamId ?? FAKE_TEAM_ID;
  const trigger = triggerId();
  const payload = {
    type: 'block_actions',
    user: { id: fields.userId, username: 'someone', name: 'someone', team_id: teamId },
    api_app_id: 'A0FAKEAPP1',
    token: 'fakeVerificationToken0001',
    container: {
      type: 'message',
      message_ts: fields.messageTs,
      channel_id: fields.channelId,
      is_ephemeral: false,
    },
    trigger_id: trigger,
    team: { id: teamId, domain: 'fake-workspace' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: fields.channelId, name: 'data' },
    message: { type: 'message', ts: fields.messageTs, bot_id: 'B0BOT0001', text: '' },
    response_url: fields.responseUrl,
    actions: [
      {
        ...action,
        value: fields.value,
        action_ts: `${Math.floor(Date.now() / 1000)}.000${sequence}`,
      },
    ],
  };
  return { body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), triggerId: trigger };
}

/** A `view_submission` of a modal the app opened (its callback_id and private_metadata as sent). */
export function viewSubmissionBody(fields: {
  userId: string;
  callbackId: string;
  privateMetadata: string;
  values: Record<string, Record<string, { type: string; [field: string]: unknown }>>;
  teamId?: string;
}): string {
  const teamId = fields.teamId ?? FAKE_TEAM_ID;
  const payload = {
    type: 'view_submission',
    team: { id: teamId, domain: 'fake-workspace' },
    user: { id: fields.userId, username: 'someone', name: 'someone', team_id: teamId },
    api_app_id: 'A0FAKEAPP1',
    token: 'fakeVerificationToken0001',
    trigger_id: triggerId(),
    view: {
      id: 'V0FAKEVIEW1',
      team_id: teamId,
      type: 'modal',
      callback_id: fields.callbackId,
      private_metadata: fields.privateMetadata,
      state: { values: fields.values },
      hash: '1700000000.abcdef',
      app_id: 'A0FAKEAPP1',
      bot_id: 'B0BOT0001',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
