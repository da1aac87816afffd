import { canUseLearnerPages } from '@/lib/auth';
import { listMyCohorts } from '@/lib/cohorts';
import { route } from '@/lib/http';

/** The cohorts the viewer is in: names, instructors, graded items and due dates — nothing about other members. */
export const GET = route({ permission: canUseLearnerPages, action: 'view your cohorts' }, async ({ viewer }) => ({
  cohorts: await listMyCohorts(viewer.id),
}));
