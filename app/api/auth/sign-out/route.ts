import { signOut } from '@/lib/auth';
import { json, route, withCookies } from '@/lib/http';

export const POST = route({ permission: 'public' }, async ({ req }) => withCookies(json({ ok: true }), await signOut(req.headers)));
