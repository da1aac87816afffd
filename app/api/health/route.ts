import { pingDb } from '@/lib/db';
import { env } from '@/lib/env';
import { json, route } from '@/lib/http';
import { APP_VERSION } from '@/lib/version';

export const dynamic = 'force-dynamic';

/** 200 when the database answers, 503 with the reason when it does not. Used by load balancers. */
export const GET = route({ permission: 'public' }, async () => {
  const db = env().dbProvider;
  try {
    await pingDb();
    return { ok: true, db, version: APP_VERSION };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return json({ ok: false, db, version: APP_VERSION, reason: `database did not answer: ${reason}` }, { status: 503 });
  }
});
