import { headers as nextHeaders } from 'next/headers';
import { redirect } from 'next/navigation';
import { getAuth } from './better-auth';
import { roleSchema, type Viewer } from './roles';

/**
 * Who is asking. Reads the session cookie through better-auth (a database lookup; expired or
 * revoked sessions give null). Pass the request's headers from a route handler; pages omit it and
 * the current request's headers are used.
 */
export async function currentViewer(headers?: Headers): Promise<Viewer | null> {
  const h = headers ?? (await nextHeaders());
  const result = await getAuth().api.getSession({ headers: h });
  if (!result) return null;
  const { user } = result;
  const role = roleSchema.safeParse((user as { role?: unknown }).role);
  return { id: user.id, email: user.email, name: user.name, role: role.success ? role.data : 'student' };
}

/** For pages behind sign-in: the viewer, or a redirect to the sign-in page. */
export async function requireViewerForPage(): Promise<Viewer> {
  const viewer = await currentViewer();
  if (!viewer) redirect('/sign-in');
  return viewer;
}
