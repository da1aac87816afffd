'use client';

import { useState } from 'react';

/** Marks the lesson read; with the on-read setting its cards join the review queue. */
export function MarkReadButton({
  lessonId,
  initiallyRead,
  cardsInQueue,
}: {
  lessonId: string;
  initiallyRead: boolean;
  cardsInQueue: number;
}) {
  const [read, setRead] = useState(initiallyRead);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string>(
    initiallyRead ? `You have read this lesson. ${cardsInQueue} of its cards are in your review queue.` : '',
  );

  async function markRead() {
    setBusy(true);
    try {
      const res = await fetch(`/api/lessons/${encodeURIComponent(lessonId)}/read`, { method: 'POST' });
      const body = (await res.json()) as { introduced?: number; error?: { message?: string } };
      if (!res.ok) throw new Error(body.error?.message ?? `The server answered ${res.status}.`);
      setRead(true);
      const n = body.introduced ?? 0;
      setMessage(n > 0 ? `Marked read. ${n} cards from this lesson joined your review queue.` : 'Marked read.');
    } catch (err) {
      setMessage(err instanceof Error ? `Could not mark read: ${err.message}` : 'Could not mark read.');
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
    </div>
  );
}
