import { type NextRequest, NextResponse } from 'next/server';
import { hasSessionCookie } from '@/lib/auth/cookie';
import { contentSecurityPolicy, NONCE_HEADER } from '@/lib/http/security-headers';

/**
 * Runs before every page (not static files, not the API):
 * - a fresh CSP nonce per request, in the request headers (Next puts it on its own scripts, the
 *   root layout on its theme script) and the policy in the answer;
 * - the fast path for signed-out visitors: no session cookie on a learner page → straight to
 *   sign-in, remembering where they were going. The cookie's validity is checked by the pages
 *   themselves (lib/auth requireViewerForPage), which redirect too; this only saves a render.
 */
const LEARNER_PREFIXES = ['/today', '/learn', '/review', '/quizzes', '/labs', '/instructor', '/join', '/admin'];

export function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  if (LEARNER_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`)) && !hasSessionCookie(req)) {
    const url = req.nextUrl.clone();
    url.pathname = '/sign-in';
    url.search = `?next=${encodeURIComponent(pathname + search)}`;
    return NextResponse.redirect(url);
  }
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  const csp = contentSecurityPolicy(nonce, req.headers.get('host'), { dev: process.env.NODE_ENV === 'development' });
  const headers = new Headers(req.headers);
  headers.set(NONCE_HEADER, nonce);
  headers.set('Content-Security-Policy', csp);
  const res = NextResponse.next({ request: { headers } });
  res.headers.set('Content-Security-Policy', csp);
  return res;
}

export const config = {
  // Pages only: the API answers JSON (its headers come from the route wrapper), and Next's static
  // files need no nonce. Prefetches carry no HTML to protect.
  matcher: [
    {
      source: '/((?!api/|_next/static|_next/image|favicon.ico).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
