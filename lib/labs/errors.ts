/**
 * Errors lib/labs throws on purpose. Each has a stable `code`; the web layer maps codes to
 * responses with LAB_ERROR_HTTP_STATUS and never matches on message text.
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

export const LAB_ERROR_HTTP_STATUS: Record<LabErrorCode, number> = {
  labs_full: 503,
  learner_limit: 409,
  invalid_request: 422,
  not_found: 404,
  session_ended: 410,
  invalid_state: 409,
  images_missing: 503,
  start_failed: 502,
};

export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LabError';
  }
  get httpStatus(): number {
    return LAB_ERROR_HTTP_STATUS[this.code];
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
