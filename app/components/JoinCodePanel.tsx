'use client';

import { useEffect, useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';

const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

/**
 * The cohort's join code and link, with its expiry, and a button that replaces it (the old code
 * stops working at once — for a code that leaked, or to extend the window).
 */
export function JoinCodePanel({ cohortId, code, expiresAt }: { cohortId: string; code: string; expiresAt: string }) {
  // The address learners use is the one the instructor's browser shows (behind a proxy too).
  const [origin, setOrigin] = useState('');
  useEffect(() => setOrigin(window.location.origin), []);
  const [current, setCurrent] = useState({ code, expiresAt });
  const [days, setDays] = useState(14);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const expired = origin !== '' && new Date(current.expiresAt).getTime() <= Date.now();
  const link = `${origin}/join?code=${current.code}`;
  return (
    <section className="card join-panel" aria-labelledby="join-code-h">
      <h2 id="join-code-h">Join code</h2>
      <p className="join-code" data-testid="join-code">
        {current.code}
      </p>
      <p className="muted">
        Learners enter it on the Join page, or open <a href={link}>{link}</a>. {expired ? <strong>Expired</strong> : 'Works until'}{' '}
        {dateFmt.format(new Date(current.expiresAt))}.
      </p>
      <div className="inline-form">
        <label htmlFor="jc-days">New code valid for</label>
        <input
          id="jc-days"
          className="input input-small"
          type="number"
          min={1}
          max={365}
          value={days}
          onChange={(e) => setDays(Number(e.target.value))}
        />
        <span>days</span>
        <button
          type="button"
          className="btn btn-small"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError('');
            try {
              setCurrent(
                await api
                  .post<{ joinCode: string; joinCodeExpiresAt: string }>(`/api/instructor/cohorts/${cohortId}/join-code`, { days })
                  .then((r) => ({ code: r.joinCode, expiresAt: r.joinCodeExpiresAt })),
              );
            } catch (e) {
              setError(errorMessage(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          Replace the code
        </button>
      </div>
      {error && <p className="field-error">{error}</p>}
    </section>
  );
}
