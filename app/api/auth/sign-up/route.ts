import { signUp, signUpSchema } from '@/lib/auth';
import { json, route, withCookies } from '@/lib/http';

export const POST = route({ permission: 'public', body: signUpSchema }, async ({ req, body }) => {
  const out = await signUp(body, req.headers);
  return withCookies(json({ user: out.user }, { status: 201 }), out.setCookies);
});
