import { z } from 'zod';
import { canViewInstructorArea } from '@/lib/auth';
import { CohortIdSchema, learnerDrillDown, UserIdSchema } from '@/lib/cohorts';
import { route } from '@/lib/http';

/** One learner of the cohort in full, with each lab Check's evidence. */
export const GET = route(
  {
    permission: canViewInstructorArea,
    action: 'view cohort learners',
    params: z.object({ cohortId: CohortIdSchema, userId: UserIdSchema }),
  },
  async ({ viewer, params, now }) => ({ learner: await learnerDrillDown(viewer, params.cohortId, params.userId, now) }),
);
