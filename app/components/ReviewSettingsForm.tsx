'use client';

import { useState } from 'react';
import { api, errorMessage, fieldErrors } from '@/lib/api-client';
import type { ReviewSettings } from '@/lib/srs/index';

const HOURS = Array.from({ length: 24 }, (_, h) => h);

type Editable = Omit<ReviewSettings, 'fsrsParameters'>;

/**
 * Review settings. Desired retention is the one that matters most, so its effect is spelled out:
 * higher means you remember more of what you review, at the price of more reviews per day.
 */
export function ReviewSettingsForm({ initial }: { initial: Editable }) {
  const [s, setS] = useState<Editable>(initial);
  const [saved, setSaved] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [s.timezone];

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setSaved('');
    setError('');
    setErrors({});
    try {
      const next = await api.put<ReviewSettings>('/api/settings/review', s);
      setS(next);
      setSaved('Saved. New ratings use these settings; reload the review to rebuild today’s queue.');
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const num = (k: keyof Editable) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setS({ ...s, [k]: Number(e.target.value) });

  return (
    <form className="settings-form" onSubmit={save} aria-label="Review settings">
      <div className="field">
        <label htmlFor="rs-retention">
          Desired retention: <strong>{Math.round(s.desiredRetention * 100)}%</strong>
        </label>
        <input
          id="rs-retention"
          type="range"
          min={0.7}
          max={0.99}
          step={0.01}
          value={s.desiredRetention}
          onChange={(e) => setS({ ...s, desiredRetention: Number(e.target.value) })}
          aria-describedby="rs-retention-help"
        />
        <p id="rs-retention-help" className="muted">
          The chance you still remember a card when it comes back. Higher = more reviews: going from 90% to 95% roughly doubles the daily
          load; below 80% you forget more often than most people like.
        </p>
        {errors.desiredRetention && <p className="field-error">{errors.desiredRetention}</p>}
      </div>
      <div className="settings-grid">
        <label className="field">
          <span>New cards per day</span>
          <input type="number" min={0} max={9999} value={s.newCardsPerDay} onChange={num('newCardsPerDay')} />
        </label>
        <label className="field">
          <span>Reviews per day (cap)</span>
          <input type="number" min={0} max={99999} value={s.reviewsPerDay} onChange={num('reviewsPerDay')} />
        </label>
        <label className="field">
          <span>Maximum interval (days)</span>
          <input type="number" min={1} max={36500} value={s.maximumInterval} onChange={num('maximumInterval')} />
        </label>
        <label className="field">
          <span>A new day starts at</span>
          <select value={s.dayStartHour} onChange={num('dayStartHour')}>
            {HOURS.map((h) => (
              <option key={h} value={h}>
                {String(h).padStart(2, '0')}:00
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Time zone</span>
          <select value={s.timezone} onChange={(e) => setS({ ...s, timezone: e.target.value })}>
            {(zones.includes(s.timezone) ? zones : [s.timezone, ...zones]).map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Leech after this many lapses</span>
          <input type="number" min={2} max={99} value={s.leechThreshold} onChange={num('leechThreshold')} />
        </label>
        <label className="field">
          <span>When a card becomes a leech</span>
          <select value={s.leechAction} onChange={(e) => setS({ ...s, leechAction: e.target.value === 'suspend' ? 'suspend' : 'tag' })}>
            <option value="tag">Tag it and keep reviewing</option>
            <option value="suspend">Tag it and suspend it</option>
          </select>
        </label>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
          {Object.entries(errors).map(([k, v]) => ` ${k}: ${v}.`)}
        </p>
      )}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        Save settings
      </button>
      {saved && (
        <p role="status" className="muted">
          {saved}
        </p>
      )}
    </form>
  );
}
