import { describe, expect, it } from 'vitest';
import {
  cachedViewer,
  forgetAllViewers,
  forgetViewer,
  rememberViewer,
  SESSION_CACHE_MS,
  sessionCacheEpoch,
} from '@/lib/auth/session-cache';

const ada = { id: 'u-ada', email: 'ada@example.test', name: 'Ada', role: 'student' as const };
const bob = { id: 'u-bob', email: 'bob@example.test', name: 'Bob', role: 'student' as const };
const far = new Date(Date.now() + 3600_000);

describe('session cache (lib/auth/session-cache)', () => {
  it('remembers an accepted cookie for a few seconds at most, and never past the session', () => {
    forgetAllViewers();
    const t = 1_000_000;
    rememberViewer('km.session_token=a', ada, far, sessionCacheEpoch(), t);
    expect(cachedViewer('km.session_token=a', t + 1)).toEqual(ada);
    expect(cachedViewer('km.session_token=a', t + SESSION_CACHE_MS)).toBeUndefined();
    rememberViewer('km.session_token=b', bob, new Date(t + 100), sessionCacheEpoch(), t);
    expect(cachedViewer('km.session_token=b', t + 99)).toEqual(bob);
    expect(cachedViewer('km.session_token=b', t + 100)).toBeUndefined();
    expect(cachedViewer(null)).toBeUndefined();
    expect(cachedViewer('km.session_token=unknown')).toBeUndefined();
  });

  it('forgets a user at sign-out or role change, and drops a lookup that was under way then', () => {
    forgetAllViewers();
    rememberViewer('c1', ada, far, sessionCacheEpoch());
    rememberViewer('c2', ada, far, sessionCacheEpoch());
    rememberViewer('c3', bob, far, sessionCacheEpoch());
    const before = sessionCacheEpoch(); // a lookup starts…
    forgetViewer(ada.id); // …sign-out happens…
    rememberViewer('c4', ada, far, before); // …and its stale answer is not kept
    expect(cachedViewer('c1')).toBeUndefined();
    expect(cachedViewer('c2')).toBeUndefined();
    expect(cachedViewer('c4')).toBeUndefined();
    expect(cachedViewer('c3')).toEqual(bob);
  });
});
