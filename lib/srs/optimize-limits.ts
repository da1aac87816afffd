/**
 * Below this many reviews the fit is noise; FSRS's authors recommend several hundred. Kept apart
 * from ./optimize.ts so pages can show it without loading the native optimiser, which ships for
 * linux x64 (glibc) only.
 */
export const MIN_REVIEWS_FOR_OPTIMISATION = 400;
