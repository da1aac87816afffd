'use client';

import { useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';

/**
 * Marks the lesson read; with the on-read setting its cards join the review queue. `hint` says
 * what marking read will do, and goes away once it is done.
 */
export function MarkReadButton({
  lessonId,
  initiallyRead,
  cardsInQueue,
  hint,
}: {
  lessonId: string;
  initiallyRead: boolean;
  cardsInQueue: number;
  hint: string;
}) {
  const [read, setRead] = useState(initiallyRead);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string>(
    initiallyRead ? `You have read this lesson. ${cardsInQueue} of its cards are in your review queue.` : '',
  );

  async function markRead() {
    setBusy(true);
    try {
      const body = await api.post<{ introduced?: number }>(`/api/lessons/${encodeURIComponent(lessonId)}/read`);
      setRead(true);
      const n = body.introduced ?? 0;
      setMessage(n > 0 ? `Marked read. ${n} cards from this lesson joined your review queue.` : 'Marked read.');
    } catch (err) {
      setMessage(`Could not mark read: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="mark-read">
      {read ? (
        <span className="read-badge">✓ Read</span>
      ) : (
        <button type="button" className="btn btn-primary" onClick={markRead} disabled={busy}>
          {busy ? 'Saving…' : 'Mark as read'}
        </button>
      )}
      <p className="muted" role="status" aria-live="polite">
        {message}
      </p>
      {!read && (
        <p className="muted mark-read-hint" data-testid="mark-read-hint">
          {hint}
        </p>
      )}
    </div>
  );
}
