import { z } from 'zod';
import { canViewInstructorArea } from '@/lib/auth';
import { CohortIdSchema, joinCodeDaysSchema, rotateJoinCode } from '@/lib/cohorts';
import { route } from '@/lib/http';

/** A new join code valid for `days` days; the old one stops working at once. */
export const POST = route(
  {
    permission: canViewInstructorArea,
    action: 'change join codes',
    params: z.object({ cohortId: CohortIdSchema }),
    body: z.strictObject({ days: joinCodeDaysSchema }),
  },
  ({ viewer, params, body, now }) => rotateJoinCode(viewer, params.cohortId, body.days, now),
);
