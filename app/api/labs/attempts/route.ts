import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { LabIdSchema, listLabAttempts } from '@/lib/labs';

export const GET = route(
  { permission: canUseLearnerPages, action: 'use labs', query: z.object({ labId: LabIdSchema }) },
  async ({ viewer, query }) => listLabAttempts(viewer.id, query.labId),
);
