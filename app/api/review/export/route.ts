import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { exportAnkiText, exportCardsCsv, exportReviewLogCsv } from '@/lib/review';

const FORMATS = {
  cards: { file: 'kernel-map-cards.csv', type: 'text/csv; charset=utf-8', make: exportCardsCsv },
  log: { file: 'kernel-map-review-log.csv', type: 'text/csv; charset=utf-8', make: exportReviewLogCsv },
  anki: { file: 'kernel-map-anki.txt', type: 'text/plain; charset=utf-8', make: exportAnkiText },
} as const;

export const GET = route(
  { permission: canUseLearnerPages, action: 'export reviews', query: z.object({ format: z.enum(['cards', 'log', 'anki']) }) },
  async ({ viewer, query }) => {
    const f = FORMATS[query.format];
    return new Response(await f.make(viewer.id), {
      headers: { 'content-type': f.type, 'content-disposition': `attachment; filename="${f.file}"`, 'cache-control': 'no-store' },
    });
  },
);
