import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { checkLabSession, SessionIdSchema } from '@/lib/labs';

const taskId = z.string().regex(/^[a-z0-9-]{1,48}$/);

export const POST = route(
  {
    permission: canUseLearnerPages,
    action: 'use labs',
    params: z.object({ sessionId: SessionIdSchema }),
    body: z.strictObject({
      tasks: z.array(taskId).max(32).default([]),
      answers: z.record(taskId, z.string().max(200)).default({}),
      hintsUsed: z.number().int().min(0).max(1000).default(0),
    }),
  },
  async ({ viewer, params, body, now }) => ({ attempt: await checkLabSession(viewer.id, params.sessionId, body, now) }),
);
