'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';

/** A learner enters (or arrives with) a join code and joins the cohort. */
export function JoinCohortForm({ initialCode }: { initialCode: string }) {
  const router = useRouter();
  const [code, setCode] = useState(initialCode);
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="card inline-form-card"
      aria-label="Join a cohort"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError('');
        setMessage('');
        try {
          const r = await api.post<{ name: string; alreadyMember: boolean }>('/api/cohorts/join', { code });
          setMessage(r.alreadyMember ? `You are already in ${r.name}.` : `You joined ${r.name}.`);
          router.refresh();
        } catch (err) {
          setError(errorMessage(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <div className="field">
        <label htmlFor="join-code">Join code</label>
        <input
          id="join-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          placeholder="ABCD-EFGH"
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'join-error' : undefined}
          required
        />
      </div>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        Join
      </button>
      {message && (
        <p role="status" className="join-ok">
          {message}
        </p>
      )}
      {error && (
        <p id="join-error" className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
