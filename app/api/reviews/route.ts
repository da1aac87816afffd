import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { rateAndContinue } from '@/lib/review';
import { reviewInput } from '@/lib/srs';

// no-transform: the answer (a few KB) is sent as is, not gzipped — compressing it cost more server
// time than the rating itself, on the one request a reviewer waits for after every card.
export const POST = route(
  { permission: canUseLearnerPages, action: 'review cards', body: reviewInput, headers: { 'Cache-Control': 'no-store, no-transform' } },
  ({ viewer, body, now }) => rateAndContinue(viewer.id, body, now),
);
