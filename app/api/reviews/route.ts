import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { rateAndContinue } from '@/lib/review';
import { reviewInput } from '@/lib/srs';

export const POST = route({ permission: canUseLearnerPages, action: 'review cards', body: reviewInput }, ({ viewer, body, now }) =>
  rateAndContinue(viewer.id, body, now),
);
