import { getSessionCookie } from 'better-auth/cookies';

/** Our session cookie is `km.session_token` (`__Secure-km.session_token` over HTTPS). */
export const SESSION_COOKIE_PREFIX = 'km';

/**
 * Whether a request carries a session cookie at all — a cheap pre-check that reads no database
 * (the proxy's fast path for signed-out visitors). Validity is checked by `viewerFromHeaders`.
 * Uses better-auth's own helper, so the cookie's name and secure prefix are never spelled twice.
 */
export function hasSessionCookie(req: Request | Headers): boolean {
  return getSessionCookie(req, { cookiePrefix: SESSION_COOKIE_PREFIX }) !== null;
}
