import { getAuth } from './better-auth';
import { roleSchema, type Viewer } from './roles';
import { cachedViewer, rememberViewer, sessionCacheEpoch } from './session-cache';

/**
 * The signed-in user for a set of request headers (the session cookie), or null. A database
 * lookup through better-auth: expired or revoked sessions give null. An accepted session is
 * remembered for a few seconds (./session-cache.ts: sign-out and role changes forget it at once).
 * No Next.js imports, so the terminal socket in server.ts can use it too.
 */
export async function viewerFromHeaders(headers: Headers): Promise<Viewer | null> {
  const cookie = headers.get('cookie');
  const hit = cachedViewer(cookie);
  if (hit) return { ...hit };
  const epoch = sessionCacheEpoch();
  const result = await getAuth().api.getSession({ headers });
  if (!result) return null;
  const { user, session } = result;
  const role = roleSchema.safeParse((user as { role?: unknown }).role);
  const viewer: Viewer = { id: user.id, email: user.email, name: user.name, role: role.success ? role.data : 'student' };
  rememberViewer(cookie, viewer, new Date(session.expiresAt), epoch);
  return { ...viewer };
}
