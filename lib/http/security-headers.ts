/**
 * The security headers every answer carries, in one place: next.config.mjs sets the static ones
 * on everything Next serves (a unit test keeps its copy equal to STATIC_SECURITY_HEADERS),
 * proxy.ts adds the per-request Content-Security-Policy to pages, and server.ts uses both for the
 * answers it gives before Next sees a request (a malformed path). Pure: no Next, no Node APIs.
 */
export const STATIC_SECURITY_HEADERS: ReadonlyArray<{ key: string; value: string }> = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
];

/** The request header Next reads the nonce from (and our root layout, for its theme script). */
export const NONCE_HEADER = 'x-nonce';

/** Only a plain host[:port] goes into a header; anything else is left out. */
const HOST_RE = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The page policy. Scripts run only with this request's nonce ('strict-dynamic' lets Next's
 * nonced loader add its chunks); no inline event handlers (no 'unsafe-inline' for scripts, no
 * 'unsafe-hashes'). connect-src names the terminal WebSocket on the same origin explicitly
 * (older browsers do not count ws: as 'self'). Styles allow inline: React's style props and
 * xterm.js's generated <style> need it, and styles cannot run code.
 */
export function contentSecurityPolicy(nonce: string, host: string | null, opts: { dev?: boolean } = {}): string {
  const sockets = host && HOST_RE.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ''}`,
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** For answers that are not pages (JSON errors given before Next): nothing may load. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
