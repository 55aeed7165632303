/**
 * The error codes Slack answers the streaming API (chat.startStream / appendStream / stopStream) with
 * that change how a message writer carries on, shared by the stream and its progress steps.
 */

/** Slack refuses the streaming API for these reasons; the message is then posted and edited instead. */
export const STREAMING_REFUSED = new Set([
  'feature_not_enabled',
  'unknown_method',
  'method_deprecated',
  'not_allowed_token_type',
  'not_supported',
  'missing_recipient_user_id',
  'missing_recipient_team_id',
]);

/** The reader pressed Stop on the streaming message: what it shows stays, nothing more is written. */
export const STOPPED_BY_USER = 'stopped_by_user';
