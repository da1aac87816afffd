'use client';

import { useState } from 'react';
import { api } from '@/lib/api-client';

export function SignOutButton() {
  const [busy, setBusy] = useState(false);
  async function signOut() {
    setBusy(true);
    try {
      await api.post('/api/auth/sign-out', undefined, { keepalive: true });
    } catch {
      // Signed out or not, the sign-in page is where the learner goes next; it says who is signed in.
    } finally {
      window.location.assign('/sign-in');
    }
  }
  return (
    <button type="button" className="btn btn-small" onClick={signOut} disabled={busy}>
      Sign out
    </button>
  );
}
