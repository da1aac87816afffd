'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { api, errorMessage, fieldErrors } from '@/lib/api-client';

export interface GradableOption {
  kind: 'lab' | 'quiz';
  itemId: string;
  title: string;
}

export interface CohortFormValues {
  name: string;
  startsAt: string;
  endsAt: string;
  latePenaltyPerDay: number;
  latePenaltyMax: number;
  items: { kind: 'lab' | 'quiz'; itemId: string; points: number; dueAt: string }[];
}

/** ISO instant → the value of a `datetime-local` input, in the browser's zone. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');

interface Row {
  graded: boolean;
  points: number;
  due: string;
}

/**
 * Creates a cohort or edits one: name, dates, the late rule, and which labs and quizzes are
 * graded with their points and due dates. Dates are entered in the instructor's own time zone
 * and sent as instants.
 */
export function CohortForm(props: { options: GradableOption[]; initial?: CohortFormValues; cohortId?: string }) {
  // Dates are shown in the browser's time zone and default from its clock: render after mount,
  // so the server's HTML (another zone, an earlier instant) never disagrees with the browser's.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  if (!mounted) return <p className="muted">Loading the form…</p>;
  return <CohortFormFields {...props} />;
}

function CohortFormFields({ options, initial, cohortId }: { options: GradableOption[]; initial?: CohortFormValues; cohortId?: string }) {
  const router = useRouter();
  const now = Date.now();
  const [name, setName] = useState(initial?.name ?? '');
  const [startsAt, setStartsAt] = useState(toLocalInput(initial?.startsAt ?? new Date(now).toISOString()));
  const [endsAt, setEndsAt] = useState(toLocalInput(initial?.endsAt ?? new Date(now + 90 * 86_400_000).toISOString()));
  const [perDay, setPerDay] = useState(initial?.latePenaltyPerDay ?? 10);
  const [max, setMax] = useState(initial?.latePenaltyMax ?? 50);
  const [joinCodeDays, setJoinCodeDays] = useState(14);
  const [rows, setRows] = useState<Record<string, Row>>(() =>
    Object.fromEntries(
      options.map((o) => {
        const it = initial?.items.find((i) => i.kind === o.kind && i.itemId === o.itemId);
        return [
          `${o.kind}:${o.itemId}`,
          { graded: Boolean(it), points: it?.points ?? 10, due: toLocalInput(it?.dueAt ?? new Date(now + 30 * 86_400_000).toISOString()) },
        ];
      }),
    ),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const chosen = options.filter((o) => rows[`${o.kind}:${o.itemId}`]?.graded);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError('');
    setErrors({});
    const cohort = {
      name,
      startsAt: toIso(startsAt),
      endsAt: toIso(endsAt),
      latePenaltyPerDay: perDay,
      latePenaltyMax: max,
      items: chosen.map((o) => {
        const r = rows[`${o.kind}:${o.itemId}`] ?? { points: 0, due: '' };
        return { kind: o.kind, itemId: o.itemId, points: r.points, dueAt: toIso(r.due) };
      }),
    };
    try {
      if (cohortId) {
        await api.put(`/api/instructor/cohorts/${cohortId}`, { cohort });
        router.push(`/instructor/cohorts/${cohortId}`);
      } else {
        const { cohort: created } = await api.post<{ cohort: { id: string } }>('/api/instructor/cohorts', { cohort, joinCodeDays });
        router.push(`/instructor/cohorts/${created.id}`);
      }
      router.refresh();
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  const fieldError = (path: string) => errors[`cohort.${path}`] ?? errors[path];
  const setRow = (key: string, patch: Partial<Row>) =>
    setRows((r) => ({ ...r, [key]: { ...(r[key] ?? { graded: false, points: 10, due: '' }), ...patch } }));

  return (
    <form className="stack cohort-form" onSubmit={submit} aria-label={cohortId ? 'Edit cohort' : 'New cohort'}>
      <section className="card">
        <h2>The cohort</h2>
        <div className="field">
          <label htmlFor="cf-name">Name</label>
          <input id="cf-name" className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={80} required />
          {fieldError('name') && <span className="field-error">{fieldError('name')}</span>}
        </div>
        <div className="form-row">
          <div className="field">
            <label htmlFor="cf-start">Starts</label>
            <input
              id="cf-start"
              className="input"
              type="datetime-local"
              value={startsAt}
              onChange={(e) => setStartsAt(e.target.value)}
              required
            />
          </div>
          <div className="field">
            <label htmlFor="cf-end">Ends</label>
            <input
              id="cf-end"
              className="input"
              type="datetime-local"
              value={endsAt}
              onChange={(e) => setEndsAt(e.target.value)}
              required
            />
            {fieldError('endsAt') && <span className="field-error">{fieldError('endsAt')}</span>}
          </div>
          {!cohortId && (
            <div className="field">
              <label htmlFor="cf-code-days">Join code valid for (days)</label>
              <input
                id="cf-code-days"
                className="input"
                type="number"
                min={1}
                max={365}
                value={joinCodeDays}
                onChange={(e) => setJoinCodeDays(Number(e.target.value))}
              />
              {fieldError('joinCodeDays') && <span className="field-error">{fieldError('joinCodeDays')}</span>}
            </div>
          )}
        </div>
      </section>
      <section className="card">
        <h2>Late rule</h2>
        <div className="form-row">
          <div className="field">
            <label htmlFor="cf-per-day">Points lost per started day late (%)</label>
            <input
              id="cf-per-day"
              className="input"
              type="number"
              min={0}
              max={100}
              value={perDay}
              onChange={(e) => setPerDay(Number(e.target.value))}
            />
            {fieldError('latePenaltyPerDay') && <span className="field-error">{fieldError('latePenaltyPerDay')}</span>}
          </div>
          <div className="field">
            <label htmlFor="cf-max">At most (%)</label>
            <input
              id="cf-max"
              className="input"
              type="number"
              min={0}
              max={100}
              value={max}
              onChange={(e) => setMax(Number(e.target.value))}
            />
            {fieldError('latePenaltyMax') && <span className="field-error">{fieldError('latePenaltyMax')}</span>}
          </div>
        </div>
        <p className="muted">
          Work after its due date loses {perDay}% of the item’s points per started day, at most {max}%. The best try counts.
        </p>
      </section>
      <section className="card">
        <h2>Graded labs and quizzes</h2>
        <p className="muted">Tick what counts for the grade; points are each item’s weight in the total.</p>
        <ul className="graded-items">
          {options.map((o, index) => {
            const key = `${o.kind}:${o.itemId}`;
            const r = rows[key] ?? { graded: false, points: 10, due: '' };
            const at = chosen.indexOf(o);
            const err =
              at >= 0
                ? (fieldError(`items.${at}.itemId`) ?? fieldError(`items.${at}.points`) ?? fieldError(`items.${at}.dueAt`))
                : undefined;
            return (
              <li key={key} className="graded-item">
                <label className="graded-item-name">
                  <input type="checkbox" checked={r.graded} onChange={(e) => setRow(key, { graded: e.target.checked })} />{' '}
                  <span className="badge">{o.kind}</span> {o.title}
                </label>
                {r.graded && (
                  <span className="graded-item-fields">
                    <label>
                      Points{' '}
                      <input
                        className="input input-small"
                        type="number"
                        min={1}
                        max={1000}
                        value={r.points}
                        onChange={(e) => setRow(key, { points: Number(e.target.value) })}
                        aria-label={`Points for ${o.title}`}
                        data-testid={`points-${index}`}
                      />
                    </label>
                    <label>
                      Due{' '}
                      <input
                        className="input"
                        type="datetime-local"
                        value={r.due}
                        onChange={(e) => setRow(key, { due: e.target.value })}
                        aria-label={`Due date for ${o.title}`}
                        required
                      />
                    </label>
                  </span>
                )}
                {err && <span className="field-error">{err}</span>}
              </li>
            );
          })}
        </ul>
      </section>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {cohortId ? 'Save changes' : 'Create cohort'}
        </button>
      </div>
    </form>
  );
}
