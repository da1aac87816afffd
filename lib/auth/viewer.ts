import { getAuth } from './better-auth';
import { roleSchema, type Viewer } from './roles';

/**
 * The signed-in user for a set of request headers (the session cookie), or null. A database
 * lookup through better-auth: expired or revoked sessions give null. No Next.js imports, so the
 * terminal socket in server.ts can use it too.
 */
export async function viewerFromHeaders(headers: Headers): Promise<Viewer | null> {
  const result = await getAuth().api.getSession({ headers });
  if (!result) return null;
  const { user } = result;
  const role = roleSchema.safeParse((user as { role?: unknown }).role);
  return { id: user.id, email: user.email, name: user.name, role: role.success ? role.data : 'student' };
}
