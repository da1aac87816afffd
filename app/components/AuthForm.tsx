'use client';

import { type FormEvent, useEffect, useId, useState } from 'react';
import { ApiError, api, errorMessage, fieldErrors as fieldErrorsOf } from '@/lib/api-client';

interface Field {
  name: 'name' | 'email' | 'password';
  label: string;
  type: string;
  autoComplete: string;
  hint?: string;
}

/**
 * Sign-in and sign-up form. Posts JSON to the auth route, shows the server's field errors next to
 * their inputs and its message above the button, then does a full navigation so every server
 * component sees the new session cookie. When sign-in is rate limited, the wait counts down in the
 * page and the button comes back when it is over.
 */
export function AuthForm({ mode, next }: { mode: 'sign-in' | 'sign-up'; next: string }) {
  const fields: Field[] =
    mode === 'sign-up'
      ? [
          { name: 'name', label: 'Name', type: 'text', autoComplete: 'name' },
          { name: 'email', label: 'Email', type: 'email', autoComplete: 'email' },
          { name: 'password', label: 'Password', type: 'password', autoComplete: 'new-password', hint: 'At least 10 characters.' },
        ]
      : [
          { name: 'email', label: 'Email', type: 'email', autoComplete: 'email' },
          { name: 'password', label: 'Password', type: 'password', autoComplete: 'current-password' },
        ];
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  /** When a rate-limited form may be sent again (epoch ms), and the seconds left until then. */
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [secondsLeft, setSecondsLeft] = useState(0);
  const [retryAfter, setRetryAfter] = useState(0);

  useEffect(() => {
    if (retryAt === null) return;
    const tick = () => {
      const left = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      setSecondsLeft(left);
      if (left === 0) {
        setRetryAt(null);
        setFormError(null);
      }
    };
    tick();
    const t = setInterval(tick, 250);
    return () => clearInterval(t);
  }, [retryAt]);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    setFieldErrors({});
    const data = Object.fromEntries(new FormData(e.currentTarget));
    try {
      await api.post(`/api/auth/${mode}`, data);
      window.location.assign(next);
      return;
    } catch (err) {
      const errs = fieldErrorsOf(err);
      setFieldErrors(errs);
      if (err instanceof ApiError && err.code === 'rate_limited' && err.retryAfterSeconds) {
        setRetryAt(Date.now() + err.retryAfterSeconds * 1000);
        setRetryAfter(err.retryAfterSeconds);
        setFormError('Too many sign-in attempts for now.');
        return;
      }
      // One message per problem: field errors sit beside their inputs; the banner is for the rest.
      setFormError(Object.keys(errs).length > 0 ? null : errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate aria-describedby={formError ? `${id}-error` : undefined}>
      {fields.map((f) => {
        const err = fieldErrors[f.name];
        const describedBy = [err ? `${id}-${f.name}-error` : '', f.hint ? `${id}-${f.name}-hint` : ''].filter(Boolean).join(' ');
        return (
          <div className="field" key={f.name}>
            <label htmlFor={`${id}-${f.name}`}>{f.label}</label>
            <input
              id={`${id}-${f.name}`}
              name={f.name}
              type={f.type}
              autoComplete={f.autoComplete}
              required
              aria-invalid={err ? true : undefined}
              aria-describedby={describedBy || undefined}
            />
            {f.hint && !err && (
              <span id={`${id}-${f.name}-hint`} className="muted" style={{ fontSize: '0.85rem' }}>
                {f.hint}
              </span>
            )}
            {err && (
              <span id={`${id}-${f.name}-error`} className="field-error">
                {err}
              </span>
            )}
          </div>
        );
      })}
      {formError && (
        <p id={`${id}-error`} className="form-error" role="alert">
          {formError}
          {retryAt !== null && (
            // Screen readers hear the wait once (the alert); the ticking number is for the eyes only.
            <>
              {' '}
              <span className="sr-only">Try again in {retryAfter} s.</span>
              <span aria-hidden="true">
                Try again in <span data-testid="retry-countdown">{secondsLeft}</span> s.
              </span>
            </>
          )}
        </p>
      )}
      <button className="btn btn-primary" type="submit" disabled={busy || retryAt !== null} style={{ width: '100%' }}>
        {busy ? 'Please wait…' : retryAt !== null ? `Wait ${secondsLeft} s` : mode === 'sign-in' ? 'Sign in' : 'Create account'}
      </button>
    </form>
  );
}
