import { z } from 'zod';
import { canViewInstructorArea } from '@/lib/auth';
import { cohortInput, createCohort, joinCodeDaysSchema, listCohorts } from '@/lib/cohorts';
import { route } from '@/lib/http';

/** The viewer's cohorts (an admin: all). */
export const GET = route({ permission: canViewInstructorArea, action: 'view cohorts' }, async ({ viewer }) => ({
  cohorts: await listCohorts(viewer),
}));

/** Creates a cohort owned by the viewer; its join code is valid for `joinCodeDays` days (default 14). */
export const POST = route(
  {
    permission: canViewInstructorArea,
    action: 'create cohorts',
    body: z.strictObject({ cohort: cohortInput, joinCodeDays: joinCodeDaysSchema.default(14) }),
    status: 201,
  },
  async ({ viewer, body, now }) => ({ cohort: await createCohort(viewer, body.cohort, body.joinCodeDays, now) }),
);
