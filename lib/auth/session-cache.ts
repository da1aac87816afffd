import type { Viewer } from './roles';

/**
 * A short-lived, per-process memory of "this Cookie header is that signed-in user", so a learner
 * rating cards twice a second does not pay better-auth's signature check and session query on
 * every request. Correctness rules:
 * - the key is the whole Cookie header better-auth verified, so a hit is exactly a request
 *   better-auth already accepted with the same cookies; unknown or rejected cookies are never
 *   remembered (a miss always asks better-auth);
 * - an entry lives SESSION_CACHE_MS at most, and never past the session's own expiry;
 * - sign-out and role changes in this process forget the user's entries at once, and a lookup
 *   that was already under way when they did is not stored (the epoch check), so a replayed
 *   cookie is refused right after sign-out. Another web node sharing the database sees such a
 *   change within SESSION_CACHE_MS.
 * Kept on globalThis: the Next bundle and server.ts (the terminal socket) load lib/auth apart.
 */
export const SESSION_CACHE_MS = 5_000;
/** Bounds the memory: beyond this many entries the oldest are dropped. */
const MAX_ENTRIES = 10_000;
/** Longer Cookie headers are not cached (they are not ours, and would cost memory). */
const MAX_KEY_LENGTH = 4096;

interface Entry {
  viewer: Viewer;
  until: number;
}

interface Cache {
  entries: Map<string, Entry>;
  epoch: number;
}

const holder = globalThis as typeof globalThis & { kernelMapSessionCache?: Cache };

function cache(): Cache {
  holder.kernelMapSessionCache ??= { entries: new Map(), epoch: 0 };
  return holder.kernelMapSessionCache;
}

/** The remembered viewer for a Cookie header, or undefined (not cached, or expired). */
export function cachedViewer(cookie: string | null, now = Date.now()): Viewer | undefined {
  if (!cookie) return undefined;
  const c = cache();
  const e = c.entries.get(cookie);
  if (!e) return undefined;
  if (e.until <= now) {
    c.entries.delete(cookie);
    return undefined;
  }
  return e.viewer;
}

/** The current epoch: take it before a lookup and pass it to `rememberViewer`. */
export function sessionCacheEpoch(): number {
  return cache().epoch;
}

/**
 * Remembers a viewer better-auth accepted for `cookie`, unless something was forgotten since
 * `epoch` was read (the lookup may predate a sign-out). `sessionExpiresAt` caps the entry's life.
 */
export function rememberViewer(cookie: string | null, viewer: Viewer, sessionExpiresAt: Date, epoch: number, now = Date.now()): void {
  if (!cookie || cookie.length > MAX_KEY_LENGTH) return;
  const c = cache();
  if (c.epoch !== epoch) return;
  const until = Math.min(now + SESSION_CACHE_MS, sessionExpiresAt.getTime());
  if (until <= now) return;
  c.entries.delete(cookie);
  c.entries.set(cookie, { viewer, until });
  while (c.entries.size > MAX_ENTRIES) {
    const oldest = c.entries.keys().next().value;
    if (oldest === undefined) break;
    c.entries.delete(oldest);
  }
}

/** Forgets every cached session of `userId` (sign-out, role change). */
export function forgetViewer(userId: string): void {
  const c = cache();
  c.epoch += 1;
  for (const [k, e] of c.entries) if (e.viewer.id === userId) c.entries.delete(k);
}

/** Forgets every cached session (sign-out of a session whose user is unknown here, tests). */
export function forgetAllViewers(): void {
  const c = cache();
  c.epoch += 1;
  c.entries.clear();
}
