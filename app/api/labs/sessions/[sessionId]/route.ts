import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { SessionIdSchema, stopLabSession } from '@/lib/labs';

export const DELETE = route(
  { permission: canUseLearnerPages, action: 'stop labs', params: z.object({ sessionId: SessionIdSchema }) },
  async ({ viewer, params }) => {
    await stopLabSession(viewer.id, params.sessionId);
    return { ok: true };
  },
);
