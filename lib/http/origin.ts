import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';

/**
 * CSRF defence for every state-changing request: the Origin header (or, failing that, Referer)
 * must be the app's own origin or one listed in TRUSTED_ORIGINS. A request with neither header is
 * refused: browsers always send Origin on cross-site and same-site POST/PUT/PATCH/DELETE.
 */
export function assertSameOrigin(req: Request): void {
  const origin = req.headers.get('origin') ?? originOf(req.headers.get('referer'));
  if (!origin || !allowedOrigins(req).includes(origin)) {
    throw new AppError('bad_origin', 'This request must come from the Kernel Map site itself.');
  }
}

/**
 * The app's own origin (the request's Host, over http or https — a browser cannot forge Host on a
 * cross-site request) plus TRUSTED_ORIGINS. The terminal socket applies the same rule.
 */
export function allowedOrigins(req: Request): string[] {
  return originsForHost(req.headers.get('host') ?? undefined);
}

export function originsForHost(host: string | undefined): string[] {
  const own = host ? [`http://${host}`, `https://${host}`] : [];
  return [...own, ...env().TRUSTED_ORIGINS.map((o) => new URL(o).origin)];
}

function originOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** Hosts a browser treats as secure over plain HTTP (it keeps `Secure` cookies for them). */
const LOCAL_HOST_RE = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The session cookie is always `Secure`. A browser on a plain-HTTP page of any host but localhost
 * drops it, so sign-in would "succeed" and bounce back to the sign-in page. The Origin header
 * says which scheme the browser's page uses; refuse such a sign-in with a reason the person can
 * act on (put TLS in front — README, Deploying safely). Requests without Origin were already
 * refused by the origin check.
 */
export function assertCookieWillBeKept(req: Request): void {
  const origin = req.headers.get('origin');
  if (!origin) return;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return;
  }
  if (url.protocol === 'http:' && !LOCAL_HOST_RE.test(url.hostname)) {
    throw new AppError(
      'https_required',
      `This address needs HTTPS: your browser will not keep the sign-in cookie over plain HTTP to ${url.hostname}. Open https://${url.host} instead, or ask the site's admin to put TLS in front.`,
    );
  }
}
