import { describe, expect, it } from 'vitest';
import { mayHaveLanded, notInConversation, SlackError } from '../../src/core/errors.js';
import { slackError, slackFailureKind, toSlackError } from '../../src/slack/slack-errors.js';

// The core branches on SlackError.kind; this table is the only place Slack's wire codes are read.
describe('slackFailureKind', () => {
  it.each([
    ['not_in_channel', 'not_a_member'],
    ['channel_not_found', 'conversation_hidden'],
    ['is_archived', 'archived'],
    ['request_error', 'may_have_landed'],
    ['internal_error', 'may_have_landed'],
    ['fatal_error', 'may_have_landed'],
    ['service_unavailable', 'may_have_landed'],
    ['request_timeout', 'may_have_landed'],
    ['http_500', 'may_have_landed'],
    ['http_503', 'may_have_landed'],
    ['missing_scope', 'missing_scope'],
    ['http_404', 'other'],
    ['ratelimited', 'other'],
    ['msg_too_long', 'other'],
    ['unknown_error', 'other'],
  ])('%s is %s', (code, kind) => {
    expect(slackFailureKind(code)).toBe(kind);
  });

  it('the core helpers read the kind, not the code', () => {
    expect(notInConversation(slackError('not_in_channel', 'chat.postMessage'))).toBe('not_a_member');
    expect(notInConversation(slackError('ratelimited', 'chat.postMessage'))).toBeUndefined();
    expect(notInConversation(new Error('not_in_channel'))).toBeUndefined();
    expect(mayHaveLanded(slackError('http_502', 'chat.postMessage'))).toBe(true);
    expect(mayHaveLanded(new SlackError('internal_error', 'chat.postMessage', 'other'))).toBe(false);
  });

  it('an unknown failure becomes an unclassified SlackError', () => {
    const error = toSlackError(new Error('boom'), 'chat.update');
    expect(error).toMatchObject({ code: 'unknown_error', method: 'chat.update', kind: 'other' });
  });
});
