import { signUp, signUpSchema } from '@/lib/auth';
import { assertSameOrigin, handle, json, parseJson, withCookies } from '@/lib/http';

export const POST = handle(async (req: Request) => {
  assertSameOrigin(req);
  const input = await parseJson(req, signUpSchema);
  const out = await signUp(input, req.headers);
  return withCookies(json({ user: out.user }, { status: 201 }), out.setCookies);
});
