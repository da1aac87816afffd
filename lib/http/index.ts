/**
 * lib/http — the HTTP edge: `route()` wraps every route handler (parse → authenticate → named
 * permission → call → map errors); `errorResponse` is the one error → HTTP mapping.
 */
export { CLIENT_IP_HEADER } from './client-ip';
export { safeNextPath } from './next-path';
export { allowedOrigins, assertCookieWillBeKept, assertSameOrigin, originsForHost } from './origin';
export { clientIp, errorResponse, json, withCookies } from './respond';
export { type Permission, route } from './route';
