import { signOut } from '@/lib/auth';
import { assertSameOrigin, handle, json, withCookies } from '@/lib/http';

export const POST = handle(async (req: Request) => {
  assertSameOrigin(req);
  const cookies = await signOut(req.headers);
  return withCookies(json({ ok: true }), cookies);
});
