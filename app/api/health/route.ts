import { pingDb } from '@/lib/db';
import { env } from '@/lib/env';
import { json, route } from '@/lib/http';
import { APP_VERSION } from '@/lib/version';

export const dynamic = 'force-dynamic';

/**
 * 200 when the database answers, 503 when it does not. Used by load balancers, so it is public:
 * the error itself (host, port, driver text) goes to the server log, the answer says only which
 * part failed.
 */
export const GET = route({ permission: 'public' }, async () => {
  const db = env().dbProvider;
  try {
    await pingDb();
    return { ok: true, db, version: APP_VERSION };
  } catch (err) {
    console.error('[kernel-map] health: the database did not answer:', err);
    return json({ ok: false, db, version: APP_VERSION, reason: 'database did not answer' }, { status: 503 });
  }
});
