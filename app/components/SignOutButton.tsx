'use client';

import { useState } from 'react';

export function SignOutButton() {
  const [busy, setBusy] = useState(false);
  async function signOut() {
    setBusy(true);
    try {
      await fetch('/api/auth/sign-out', { method: 'POST' });
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
