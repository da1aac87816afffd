import { z } from 'zod';
import { canViewInstructorArea } from '@/lib/auth';
import { CohortIdSchema, cohortInput, getCohort, updateCohort } from '@/lib/cohorts';
import { route } from '@/lib/http';

const params = z.object({ cohortId: CohortIdSchema });

/** Settings, join code and members (404 unless the viewer owns the cohort or is an admin). */
export const GET = route({ permission: canViewInstructorArea, action: 'view cohorts', params }, async ({ viewer, params }) => ({
  cohort: await getCohort(viewer, params.cohortId),
}));

/** Replaces the cohort's settings and graded items. */
export const PUT = route(
  { permission: canViewInstructorArea, action: 'edit cohorts', params, body: z.strictObject({ cohort: cohortInput }) },
  async ({ viewer, params, body }) => ({ cohort: await updateCohort(viewer, params.cohortId, body.cohort) }),
);
