import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { reviewInput, undoReview } from '@/lib/srs';

/** Undo: restores the card's exact previous state and deletes the review. */
export const DELETE = route(
  { permission: canUseLearnerPages, action: 'review cards', params: z.object({ clientReviewId: reviewInput.shape.clientReviewId }) },
  ({ viewer, params, now }) => undoReview(viewer.id, params.clientReviewId, now),
);
