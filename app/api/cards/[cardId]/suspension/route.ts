import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { idSchema } from '@/lib/content';
import { route } from '@/lib/http';
import { setCardSuspended } from '@/lib/srs';

export const PUT = route(
  {
    permission: canUseLearnerPages,
    action: 'review cards',
    params: z.object({ cardId: idSchema }),
    body: z.strictObject({ suspended: z.boolean() }),
  },
  ({ viewer, params, body, now }) => setCardSuspended(viewer.id, params.cardId, body.suspended, now),
);
