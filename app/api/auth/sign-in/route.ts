import { signIn, signInSchema } from '@/lib/auth';
import { assertSameOrigin, clientIp, handle, json, parseJson, withCookies } from '@/lib/http';

export const POST = handle(async (req: Request) => {
  assertSameOrigin(req);
  const input = await parseJson(req, signInSchema);
  const out = await signIn(input, clientIp(req), req.headers, new Date());
  return withCookies(json({ user: out.user }), out.setCookies);
});
