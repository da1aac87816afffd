import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { AppError } from '@/lib/errors';
import { route } from '@/lib/http';

/**
 * The optimiser is a native module published for linux x64 (glibc) only: loaded on first use, so
 * on any other host the rest of the app runs and these routes say why optimisation is missing.
 */
async function optimiser() {
  try {
    return await import('@/lib/srs/optimize');
  } catch (err) {
    console.error('[kernel-map] the FSRS optimiser could not be loaded', err);
    throw new AppError(
      'unavailable',
      `Parameter optimisation is not available on this server (${process.platform} ${process.arch}); reviews keep the default parameters.`,
    );
  }
}

export const GET = route({ permission: canUseLearnerPages, action: 'optimise review parameters' }, async ({ viewer }) =>
  (await optimiser()).optimisationStatus(viewer.id),
);

export const POST = route({ permission: canUseLearnerPages, action: 'optimise review parameters', status: 202 }, async ({ viewer, now }) =>
  (await optimiser()).startOptimisation(viewer.id, now),
);

export const PUT = route(
  { permission: canUseLearnerPages, action: 'optimise review parameters', body: z.strictObject({ reschedule: z.boolean() }) },
  async ({ viewer, body }) => (await optimiser()).applyOptimisation(viewer.id, body.reschedule),
);
