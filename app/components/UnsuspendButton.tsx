'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';

/** Brings a suspended card back into the learner's queue. */
export function UnsuspendButton({ cardId }: { cardId: string }) {
  const router = useRouter();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button
        type="button"
        className="btn btn-small"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await api.put(`/api/cards/${cardId}/suspension`, { suspended: false });
            router.refresh();
          } catch (e) {
            setError(errorMessage(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        Un-suspend <span className="sr-only">{cardId}</span>
      </button>
      {error && <span className="field-error"> {error}</span>}
    </>
  );
}
