import { AppError } from '@/lib/errors';
import type { Viewer } from './roles';

/**
 * Every permission in the app, by name. Routes and pages call these and nothing else; a new
 * capability adds a function here rather than an inline role comparison.
 */

/** Learner pages (Today, Learn, Review, Quizzes, Labs): any signed-in user. */
export function canUseLearnerPages(viewer: Viewer | null): viewer is Viewer {
  return viewer !== null;
}

/** The Instructor area and its APIs. */
export function canViewInstructorArea(viewer: Viewer | null): viewer is Viewer {
  return viewer !== null && (viewer.role === 'instructor' || viewer.role === 'admin');
}

/** The admin area: changing users' roles. */
export function canAdminister(viewer: Viewer | null): viewer is Viewer {
  return viewer !== null && viewer.role === 'admin';
}

/**
 * One cohort's settings, roster, dashboard and grades: its own instructor, or an admin. Another
 * instructor's cohort is answered as if it did not exist (404), so cohort ids reveal nothing.
 */
export function canManageCohort(viewer: Viewer | null, cohort: { ownerId: string }): boolean {
  if (viewer === null) return false;
  return viewer.role === 'admin' || (viewer.role === 'instructor' && cohort.ownerId === viewer.id);
}

/** Throws the right AppError when a check fails: 401 when signed out, 403 otherwise. */
export function assertPermission(viewer: Viewer | null, allowed: boolean, what: string): asserts viewer is Viewer {
  if (viewer === null) throw new AppError('unauthenticated', 'Sign in first.');
  if (!allowed) throw new AppError('forbidden', `Your account is not allowed to ${what}.`);
}
