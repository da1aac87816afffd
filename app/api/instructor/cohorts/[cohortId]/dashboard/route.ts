import { z } from 'zod';
import { canViewInstructorArea } from '@/lib/auth';
import { CohortIdSchema, cohortDashboard } from '@/lib/cohorts';
import { route } from '@/lib/http';

/** The cohort's roster, flags and class view. */
export const GET = route(
  { permission: canViewInstructorArea, action: 'view cohort dashboards', params: z.object({ cohortId: CohortIdSchema }) },
  async ({ viewer, params, now }) => ({ dashboard: await cohortDashboard(viewer, params.cohortId, now) }),
);
