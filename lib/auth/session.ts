import { headers as nextHeaders } from 'next/headers';
import { redirect } from 'next/navigation';
import type { Viewer } from './roles';
import { viewerFromHeaders } from './viewer';

/**
 * Who is asking. Pass the request's headers from a route handler; pages omit it and the current
 * request's headers are used.
 */
export async function currentViewer(headers?: Headers): Promise<Viewer | null> {
  return viewerFromHeaders(headers ?? (await nextHeaders()));
}

/** For pages behind sign-in: the viewer, or a redirect to the sign-in page. */
export async function requireViewerForPage(): Promise<Viewer> {
  const viewer = await currentViewer();
  if (!viewer) redirect('/sign-in');
  return viewer;
}
