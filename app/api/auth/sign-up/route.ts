import { signUp, signUpSchema } from '@/lib/auth';
import { assertCookieWillBeKept, clientIp, json, route, withCookies } from '@/lib/http';

export const POST = route({ permission: 'public', body: signUpSchema }, async ({ req, body, now }) => {
  assertCookieWillBeKept(req);
  const out = await signUp(body, clientIp(req), req.headers, now);
  return withCookies(json({ user: out.user }, { status: 201 }), out.setCookies);
});
