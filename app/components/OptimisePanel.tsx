'use client';

import { useEffect, useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';
import type { OptimisationJob } from '@/lib/srs/optimize';
import { OPTIMISATION_STAGES } from '@/lib/srs/optimize-limits';

const fmt = (n: number) => n.toFixed(4);

function stageText(job: Extract<OptimisationJob, { status: 'running' }>): string {
  const elapsed = Math.max(0, Math.round((Date.now() - Date.parse(job.startedAt)) / 1000));
  const after = elapsed > 0 ? ` (${elapsed} s so far)` : '';
  if (job.stage === 'reading') return `reading your review log${after}…`;
  if (job.stage === 'scoring') return `scoring the current and the fitted parameters on your ${job.reviews} reviews${after}…`;
  const pct = job.total > 0 ? `, ${Math.round((100 * job.done) / job.total)} %` : '';
  return `fitting 21 parameters to your ${job.reviews} reviews${pct}${after}…`;
}

/**
 * Fits the learner's own FSRS parameters (the server runs @open-spaced-repetition/binding) and
 * shows log loss and RMSE before and after; nothing changes until the learner applies them.
 */
export function OptimisePanel({ reviews, minimum, personalised }: { reviews: number; minimum: number; personalised: boolean }) {
  const [job, setJob] = useState<OptimisationJob>({ status: 'idle' });
  const [error, setError] = useState('');
  const [reschedule, setReschedule] = useState(true);
  const [applied, setApplied] = useState('');

  useEffect(() => {
    if (job.status !== 'running') return;
    const t = setInterval(async () => {
      try {
        setJob(await api.get<OptimisationJob>('/api/review/optimisation'));
      } catch (e) {
        setError(errorMessage(e));
      }
    }, 1000);
    return () => clearInterval(t);
  }, [job.status]);

  async function start() {
    setError('');
    setApplied('');
    try {
      setJob(await api.post<OptimisationJob>('/api/review/optimisation'));
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  async function apply() {
    setError('');
    try {
      const r = await api.put<{ rescheduled: number }>('/api/review/optimisation', { reschedule });
      setApplied(
        r.rescheduled > 0
          ? `Your parameters are in use; ${r.rescheduled} cards were rescheduled with them.`
          : 'Your parameters are in use for every rating from now on.',
      );
      setJob({ status: 'idle' });
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <section className="card" aria-labelledby="optimise">
      <h2 id="optimise">Optimise your scheduling</h2>
      <p className="muted">
        FSRS predicts when you will forget with 21 parameters. Fitted to your own {reviews} reviews they predict <em>your</em> memory.{' '}
        {personalised ? 'You are using your own parameters.' : 'You are using the defaults.'} At least {minimum} reviews are needed.
      </p>
      {job.status === 'running' ? (
        <div role="status" data-testid="optimise-progress">
          <p>
            Step {OPTIMISATION_STAGES.indexOf(job.stage) + 1} of {OPTIMISATION_STAGES.length}: {stageText(job)}
          </p>
          <progress
            max={OPTIMISATION_STAGES.length}
            value={OPTIMISATION_STAGES.indexOf(job.stage) + (job.total > 0 ? job.done / job.total : 0)}
            aria-label="Optimisation progress"
          />
        </div>
      ) : (
        <button type="button" className="btn" onClick={start}>
          Optimise my parameters
        </button>
      )}
      {job.status === 'done' && (
        <div className="stack" data-testid="optimise-result">
          <table>
            <caption className="sr-only">How well each set of parameters predicts your reviews (lower is better)</caption>
            <thead>
              <tr>
                <th scope="col">Parameters</th>
                <th scope="col" className="num">
                  Log loss
                </th>
                <th scope="col" className="num">
                  RMSE
                </th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">Current</th>
                <td className="num">{fmt(job.result.before.logLoss)}</td>
                <td className="num">{fmt(job.result.before.rmse)}</td>
              </tr>
              <tr>
                <th scope="row">Fitted to you</th>
                <td className="num">{fmt(job.result.after.logLoss)}</td>
                <td className="num">{fmt(job.result.after.rmse)}</td>
              </tr>
            </tbody>
          </table>
          <label>
            <input type="checkbox" checked={reschedule} onChange={(e) => setReschedule(e.target.checked)} /> Also reschedule every card with
            the new parameters
          </label>
          <button type="button" className="btn btn-primary" onClick={apply}>
            Use these parameters
          </button>
        </div>
      )}
      {job.status === 'failed' && <p className="form-error">{job.message}</p>}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {applied && <p role="status">{applied}</p>}
    </section>
  );
}
