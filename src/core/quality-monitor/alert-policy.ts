/**
 * Why this file exists: what a check's thread hears after a run. A failure is posted once (not once per
 * failing run), a recovery once, and a check that keeps flipping is summarised once as flapping and
 * then stays quiet until it has been steady for a day, when its steady state is posted. People mute
 * bots that repeat themselves; this keeps one post per real change. Pure.
 */

export type CheckStatus = 'unknown' | 'passing' | 'failing';

export interface AlertState {
  status: CheckStatus;
  /** When the status changed, newest last, only those within FLAP_WINDOW_MS. */
  changes: number[];
  flapping: boolean;
}

export type AlertAction = 'none' | 'failure' | 'recovery' | 'flapping';

export const INITIAL_ALERT_STATE: AlertState = { status: 'unknown', changes: [], flapping: false };

/** Status changes within this window that make a check flapping. */
export const FLAP_CHANGES = 4;
export const FLAP_WINDOW_MS = 24 * 3_600_000;

export function nextAlert(
  state: AlertState,
  passed: boolean,
  now: Date,
): { state: AlertState; action: AlertAction } {
  const status: CheckStatus = passed ? 'passing' : 'failing';
  const since = now.getTime() - FLAP_WINDOW_MS;
  // The first run sets a status; only a later flip is a change.
  const changed = state.status !== 'unknown' && state.status !== status;
  const changes = [...state.changes.filter((at) => at > since), ...(changed ? [now.getTime()] : [])];
  const next = (flapping: boolean, action: AlertAction) => ({ state: { status, changes, flapping }, action });

  if (state.flapping) {
    // Quiet while it flips; a day without a change ends it, and the steady state is said once.
    if (changes.length > 0) return next(true, 'none');
    return next(false, passed ? 'recovery' : 'failure');
  }
  if (state.status === 'unknown') return next(false, passed ? 'none' : 'failure');
  if (!changed) return next(false, 'none');
  if (changes.length >= FLAP_CHANGES) return next(true, 'flapping');
  return next(false, passed ? 'recovery' : 'failure');
}
