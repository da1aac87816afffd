import type { ApiErrorBody } from '@/lib/errors';
import { API_CONTENT_SECURITY_POLICY, STATIC_SECURITY_HEADERS } from './security-headers';

/**
 * Checks a request target before Next routes it. Next answers a path with a malformed
 * percent-escape (`/api/lessons/%ff/read`) with its own bare 500 and none of our headers; here it
 * is a 400 in the API's error vocabulary, with the security headers. Pure (the custom server
 * writes the answer).
 */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function rejectMalformedTarget(target: string | undefined): RawAnswer | null {
  const pathname = (target ?? '/').split('?')[0] ?? '/';
  try {
    decodeURIComponent(pathname);
    return null;
  } catch {
    const error: ApiErrorBody = { code: 'bad_request', message: 'The address is not valid: it has a broken %-escape.' };
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': API_CONTENT_SECURITY_POLICY,
    };
    for (const h of STATIC_SECURITY_HEADERS) headers[h.key] = h.value;
    return { status: 400, headers, body: JSON.stringify({ error }) };
  }
}
