import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { extendLabSession, SessionIdSchema } from '@/lib/labs';

export const POST = route(
  { permission: canUseLearnerPages, action: 'use labs', params: z.object({ sessionId: SessionIdSchema }) },
  async ({ viewer, params }) => ({ session: await extendLabSession(viewer.id, params.sessionId) }),
);
