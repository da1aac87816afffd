import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { JoinCodeSchema, joinCohort } from '@/lib/cohorts';
import { route } from '@/lib/http';

/** Joins the cohort with this code (any signed-in user; again is a no-op). */
export const POST = route(
  { permission: canUseLearnerPages, action: 'join cohorts', body: z.strictObject({ code: JoinCodeSchema }) },
  ({ viewer, body, now }) => joinCohort(viewer.id, body.code, now),
);
