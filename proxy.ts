import { type NextRequest, NextResponse } from 'next/server';
import { hasSessionCookie } from '@/lib/auth/cookie';

/**
 * Fast path for signed-out visitors: no session cookie on a learner page → straight to sign-in,
 * remembering where they were going. The cookie's validity is checked by the pages themselves
 * (lib/auth requireViewerForPage), which redirect too; this only saves a render.
 */
const LEARNER_PREFIXES = ['/today', '/learn', '/review', '/quizzes', '/labs', '/instructor'];

export function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  if (!LEARNER_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return NextResponse.next();
  if (hasSessionCookie(req)) return NextResponse.next();
  const url = req.nextUrl.clone();
  url.pathname = '/sign-in';
  url.search = `?next=${encodeURIComponent(pathname + search)}`;
  return NextResponse.redirect(url);
}
