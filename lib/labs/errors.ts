import { AppError } from '@/lib/errors';

/**
 * The machinery's typed errors (lib/vm LabError, LabsFullError, LearnerLimitError) in the app's
 * vocabulary. Recognised by name and `code`, not `instanceof`: the session manager may have been
 * created by server.ts's copy of lib/vm while a route runs Next's bundled copy.
 */
export function toAppError(err: unknown): unknown {
  const e = err as { name?: unknown; code?: unknown; retryAfterMinutes?: unknown; message?: unknown };
  const isLabError =
    err instanceof Error && typeof e.code === 'string' && /^(LabError|LabsFullError|LearnerLimitError)$/.test(String(e.name));
  if (!isLabError) return err;
  switch (e.code) {
    case 'learner_limit':
      return new AppError('conflict', 'You already have a lab VM running. Stop it (or reset it) first.');
    case 'labs_full': {
      const wait = typeof e.retryAfterMinutes === 'number' ? e.retryAfterMinutes : 5;
      return new AppError('unavailable', `Labs are full — try again in about ${wait} min.`, { retryAfterSeconds: wait * 60 });
    }
    case 'invalid_request':
      return new AppError('invalid_input', String(e.message));
    case 'not_found':
    case 'session_ended':
      return new AppError('not_found', 'That lab session does not exist or has ended.');
    case 'invalid_state':
      return new AppError('conflict', String(e.message));
    case 'images_missing':
      return new AppError('unavailable', 'The lab VM images are not built on this server.');
    default:
      return new AppError('unavailable', `The lab VM did not start: ${String(e.message)}`);
  }
}

/** Runs `fn`, rethrowing lab machinery errors as AppErrors. */
export async function mapLabErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAppError(err);
  }
}
