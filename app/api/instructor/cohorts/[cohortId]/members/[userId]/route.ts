import { z } from 'zod';
import { canViewInstructorArea } from '@/lib/auth';
import { CohortIdSchema, removeMember, UserIdSchema } from '@/lib/cohorts';
import { route } from '@/lib/http';

/** Takes a learner out of the cohort. */
export const DELETE = route(
  {
    permission: canViewInstructorArea,
    action: 'remove cohort members',
    params: z.object({ cohortId: CohortIdSchema, userId: UserIdSchema }),
  },
  ({ viewer, params }) => removeMember(viewer, params.cohortId, params.userId),
);
