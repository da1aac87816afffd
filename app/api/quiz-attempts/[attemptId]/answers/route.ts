import { z } from 'zod';
import { assertPermission, canUseLearnerPages, currentViewer } from '@/lib/auth';
import { idSchema } from '@/lib/content';
import { assertSameOrigin, handle, json, parseJson } from '@/lib/http';
import { answer } from '@/lib/quiz';

const answerInput = z.strictObject({ nodeId: idSchema, choiceIndex: z.int().min(0).max(4) });

export const POST = handle(async (req: Request, ctx: { params: Promise<{ attemptId: string }> }) => {
  assertSameOrigin(req);
  const attemptId = z.uuid().parse((await ctx.params).attemptId);
  const input = await parseJson(req, answerInput);
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canUseLearnerPages(viewer), 'take quizzes');
  return json(await answer(viewer.id, attemptId, input.nodeId, input.choiceIndex, new Date()));
});
