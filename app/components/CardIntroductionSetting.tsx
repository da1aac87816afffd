'use client';

import { useId, useState } from 'react';

type Mode = 'on-read' | 'all';

/** The learner's choice of how cards join the review queue; saved as soon as it changes. */
export function CardIntroductionSetting({ initial }: { initial: Mode }) {
  const id = useId();
  const [mode, setMode] = useState<Mode>(initial);
  const [status, setStatus] = useState<string>('');

  async function choose(next: Mode) {
    const before = mode;
    setMode(next);
    setStatus('Saving…');
    try {
      const res = await fetch('/api/settings/learning', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ cardIntroduction: next }),
      });
      const body = (await res.json()) as { introduced?: number; error?: { message?: string } };
      if (!res.ok) throw new Error(body.error?.message ?? `The server answered ${res.status}.`);
      setStatus(next === 'all' ? `Saved. ${body.introduced ?? 0} cards joined your review queue.` : 'Saved. New cards join as you read.');
    } catch (err) {
      setMode(before);
      setStatus(err instanceof Error ? `Not saved: ${err.message}` : 'Not saved.');
    }
  }

  return (
    <fieldset className="card setting">
      <legend>How cards join your review queue</legend>
      <label htmlFor={`${id}-on-read`}>
        <input id={`${id}-on-read`} type="radio" name="card-introduction" checked={mode === 'on-read'} onChange={() => choose('on-read')} />
        When I mark a lesson read <span className="muted">(recommended: you review what you have met)</span>
      </label>
      <label htmlFor={`${id}-all`}>
        <input id={`${id}-all`} type="radio" name="card-introduction" checked={mode === 'all'} onChange={() => choose('all')} />
        All cards now
      </label>
      <p className="muted" role="status" aria-live="polite" style={{ margin: 0 }}>
        {status}
      </p>
    </fieldset>
  );
}
