import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { idSchema } from '@/lib/content';
import { route } from '@/lib/http';
import { answer } from '@/lib/quiz';

export const POST = route(
  {
    permission: canUseLearnerPages,
    action: 'take quizzes',
    params: z.object({ attemptId: z.uuid() }),
    body: z.strictObject({ nodeId: idSchema, choiceIndex: z.int().min(0).max(4) }),
  },
  ({ viewer, params, body, now }) => answer(viewer.id, params.attemptId, body.nodeId, body.choiceIndex, now),
);
