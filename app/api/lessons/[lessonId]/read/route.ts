import { assertPermission, canUseLearnerPages, currentViewer } from '@/lib/auth';
import { idSchema } from '@/lib/content';
import { markLessonRead } from '@/lib/course';
import { assertSameOrigin, handle, json } from '@/lib/http';

export const POST = handle(async (req: Request, ctx: { params: Promise<{ lessonId: string }> }) => {
  assertSameOrigin(req);
  const lessonId = idSchema.parse((await ctx.params).lessonId);
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canUseLearnerPages(viewer), 'read lessons');
  const result = await markLessonRead(viewer.id, lessonId, new Date());
  return json(result);
});
