import { z } from 'zod';
import { canViewInstructorArea } from '@/lib/auth';
import { CohortIdSchema, EXPORT_SHAPES, exportGrades } from '@/lib/cohorts';
import { route } from '@/lib/http';

/** The grades as CSV: `?shape=canvas` (Canvas gradebook import) or `?shape=moodle` (Moodle CSV grade import). */
export const GET = route(
  {
    permission: canViewInstructorArea,
    action: 'export grades',
    params: z.object({ cohortId: CohortIdSchema }),
    query: z.object({ shape: z.enum(EXPORT_SHAPES) }),
  },
  async ({ viewer, params, query, now }) => {
    const { filename, csv } = await exportGrades(viewer, params.cohortId, query.shape, now);
    return new Response(csv, {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${filename}"`,
        'cache-control': 'no-store',
      },
    });
  },
);
