import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { applyOptimisation, optimisationStatus, startOptimisation } from '@/lib/srs/optimize';

export const GET = route({ permission: canUseLearnerPages, action: 'optimise review parameters' }, async ({ viewer }) =>
  optimisationStatus(viewer.id),
);

export const POST = route({ permission: canUseLearnerPages, action: 'optimise review parameters', status: 202 }, ({ viewer, now }) =>
  startOptimisation(viewer.id, now),
);

export const PUT = route(
  { permission: canUseLearnerPages, action: 'optimise review parameters', body: z.strictObject({ reschedule: z.boolean() }) },
  ({ viewer, body }) => applyOptimisation(viewer.id, body.reschedule),
);
