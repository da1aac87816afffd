import { canViewInstructorArea } from '@/lib/auth';
import { route } from '@/lib/http';
import { listLearners } from '@/lib/learners';

export const GET = route({ permission: canViewInstructorArea, action: 'view the instructor area' }, async () => ({
  learners: await listLearners(),
}));
