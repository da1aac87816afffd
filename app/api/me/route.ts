import { assertPermission, canUseLearnerPages, currentViewer } from '@/lib/auth';
import { handle, json } from '@/lib/http';

export const GET = handle(async (req: Request) => {
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canUseLearnerPages(viewer), 'see this page');
  return json({ user: viewer });
});
