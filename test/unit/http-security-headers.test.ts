import { describe, expect, it } from 'vitest';
import { rejectMalformedTarget } from '@/lib/http/raw-request';
import { contentSecurityPolicy, STATIC_SECURITY_HEADERS } from '@/lib/http/security-headers';
// @ts-expect-error next.config.mjs is plain JavaScript (read by Next before any TypeScript).
import nextConfigJs from '../../next.config.mjs';

const nextConfig = nextConfigJs as import('next').NextConfig;

describe('security headers', () => {
  it('next.config.mjs sets exactly the static security headers lib/http declares', async () => {
    const rules = await nextConfig.headers?.();
    expect(rules?.find((r) => r.source === '/:path*')?.headers).toEqual(STATIC_SECURITY_HEADERS);
  });

  it('builds a nonce policy with the terminal socket in connect-src, and leaves a hostile Host out', () => {
    const csp = contentSecurityPolicy('abc123==', 'kernelmap.example:8443');
    expect(csp).toContain("script-src 'self' 'nonce-abc123==' 'strict-dynamic'");
    expect(csp).toContain("connect-src 'self' ws://kernelmap.example:8443 wss://kernelmap.example:8443");
    expect(csp).toContain("script-src-attr 'none'");
    for (const host of ['evil.example; script-src *', 'a b', "x'y", null]) {
      expect(contentSecurityPolicy('n', host)).toContain("connect-src 'self';");
    }
  });

  it('rejects a request target with a broken %-escape before Next sees it', () => {
    expect(rejectMalformedTarget('/api/lessons/%ff/read')).toMatchObject({ status: 400 });
    expect(rejectMalformedTarget('/api/lessons/%E0%A4%A/read?x=1')).toMatchObject({ status: 400 });
    expect(rejectMalformedTarget('/api/lessons/a%20b/read?q=%ff')).toBeNull(); // the query is the route's to parse
    expect(rejectMalformedTarget('/learn/intro')).toBeNull();
  });
});
