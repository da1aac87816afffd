import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { idSchema } from '@/lib/content';
import { markLessonRead } from '@/lib/course';
import { route } from '@/lib/http';

export const POST = route(
  { permission: canUseLearnerPages, action: 'read lessons', params: z.object({ lessonId: idSchema }) },
  ({ viewer, params, now }) => markLessonRead(viewer.id, params.lessonId, now),
);
