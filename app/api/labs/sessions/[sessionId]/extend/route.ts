import { assertPermission, canUseLearnerPages, currentViewer } from '@/lib/auth';
import { assertSameOrigin, handle, json } from '@/lib/http';
import { SessionIdSchema } from '@/lib/labs';
import { extendLabSession } from '@/lib/labs-service';

export const POST = handle(async (req: Request, ctx: { params: Promise<{ sessionId: string }> }) => {
  assertSameOrigin(req);
  const sessionId = SessionIdSchema.parse((await ctx.params).sessionId);
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canUseLearnerPages(viewer), 'use labs');
  return json({ session: await extendLabSession(viewer.id, sessionId) });
});
