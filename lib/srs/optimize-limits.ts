/**
 * Below this many reviews the fit is noise; FSRS's authors recommend several hundred. Kept apart
 * from ./optimize.ts so pages can show it without loading the native optimiser, which ships for
 * linux x64 (glibc) only.
 */
export const MIN_REVIEWS_FOR_OPTIMISATION = 400;

/** The three steps of a fit, in order; fsrs-rs reports progress within `fitting` on longer fits. */
export const OPTIMISATION_STAGES = ['reading', 'fitting', 'scoring'] as const;
export type OptimisationStage = (typeof OPTIMISATION_STAGES)[number];

export interface OptimisationProgress {
  stage: OptimisationStage;
  /** Reviews read from the log (known from `fitting` on). */
  reviews: number;
  /** Training progress within `fitting` as fsrs-rs reports it (0 of 0 until its first report). */
  done: number;
  total: number;
}
