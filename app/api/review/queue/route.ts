import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { getReviewSession } from '@/lib/review';

export const GET = route({ permission: canUseLearnerPages, action: 'review cards' }, ({ viewer, now }) => getReviewSession(viewer.id, now));
