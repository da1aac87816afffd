import { assertPermission, canViewInstructorArea, currentViewer } from '@/lib/auth';
import { handle, json } from '@/lib/http';
import { listLearners } from '@/lib/learners';

export const GET = handle(async (req: Request) => {
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canViewInstructorArea(viewer), 'view the instructor area');
  return json({ learners: await listLearners() });
});
