'use client';

import { useId, useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';

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
      const body = await api.put<{ introduced?: number }>('/api/settings/learning', { cardIntroduction: next });
      setStatus(next === 'all' ? `Saved. ${body.introduced ?? 0} cards joined your review queue.` : 'Saved. New cards join as you read.');
    } catch (err) {
      setMode(before);
      setStatus(`Not saved: ${errorMessage(err)}`);
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
