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
