import { assertPermission, canUseLearnerPages, currentViewer } from '@/lib/auth';
import { idSchema } from '@/lib/content';
import { assertSameOrigin, handle, json } from '@/lib/http';
import { startAttempt } from '@/lib/quiz';

export const POST = handle(async (req: Request, ctx: { params: Promise<{ quizId: string }> }) => {
  assertSameOrigin(req);
  const quizId = idSchema.parse((await ctx.params).quizId);
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canUseLearnerPages(viewer), 'take quizzes');
  return json({ attempt: await startAttempt(viewer.id, quizId, new Date()) }, { status: 201 });
});
