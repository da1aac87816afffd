import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { idSchema } from '@/lib/content';
import { route } from '@/lib/http';
import { startAttempt } from '@/lib/quiz';

export const POST = route(
  { permission: canUseLearnerPages, action: 'take quizzes', params: z.object({ quizId: idSchema }), status: 201 },
  async ({ viewer, params, now }) => ({ attempt: await startAttempt(viewer.id, params.quizId, now) }),
);
