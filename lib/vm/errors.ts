/**
 * Errors lib/vm throws on purpose. Each has a stable `code`; lib/labs maps codes to the app's
 * errors (lib/labs/errors.ts) and never matches on message text. No HTTP here.
 */
export type LabErrorCode =
  | 'labs_full'
  | 'learner_limit'
  | 'invalid_request'
  | 'not_found'
  | 'session_ended'
  | 'invalid_state'
  | 'images_missing'
  | 'start_failed';

export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

/** Every slot is taken; `retryAfterMinutes` estimates when the next one frees up. */
export class LabsFullError extends LabError {
  constructor(readonly retryAfterMinutes: number) {
    super('labs_full', `Labs are full — try again in about ${retryAfterMinutes} min.`);
    this.name = 'LabsFullError';
  }
}

/** The learner already has as many sessions as allowed; `sessionIds` are theirs to resume or stop. */
export class LearnerLimitError extends LabError {
  constructor(readonly sessionIds: string[]) {
    super('learner_limit', 'You already have a lab running. Resume it or stop it first.');
    this.name = 'LearnerLimitError';
  }
}
