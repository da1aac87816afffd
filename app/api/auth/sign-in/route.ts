import { signIn, signInSchema } from '@/lib/auth';
import { assertCookieWillBeKept, clientIp, json, route, withCookies } from '@/lib/http';

export const POST = route({ permission: 'public', body: signInSchema }, async ({ req, body, now }) => {
  assertCookieWillBeKept(req);
  const out = await signIn(body, clientIp(req), req.headers, now);
  return withCookies(json({ user: out.user }), out.setCookies);
});
