import { AppError } from '@/lib/errors';
import { route } from '@/lib/http';

/** Any /api path no route matched: a JSON 404 in the API's error vocabulary, not Next's HTML page. */
const notFound = route({ permission: 'public' }, async () => {
  throw new AppError('not_found', 'There is no such API endpoint.');
});

export { notFound as DELETE, notFound as GET, notFound as PATCH, notFound as POST, notFound as PUT };
