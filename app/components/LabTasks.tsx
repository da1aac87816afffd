'use client';

import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';
import type { LabAttemptView } from '@/lib/labs';

export interface LabTaskView {
  id: string;
  title: string;
  answer?: { prompt: string; choices?: string[] };
  /** Each hint rendered from the lab's Markdown (renderInline escapes raw HTML). */
  hintsHtml: string[];
}

type TaskResult = LabAttemptView['results'][number];

function seconds(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * The lab's tasks beside the terminal: a Check button per task and one for all, each result with
 * the grader's reason and the evidence lines it decided on, hints revealed one at a time, and
 * the attempt history with the best result. Checks run against the learner's running session.
 */
export function LabTasks({ labId, sessionId, tasks }: { labId: string; sessionId: string | null; tasks: LabTaskView[] }) {
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [hintsShown, setHintsShown] = useState<Record<string, number>>({});
  const [results, setResults] = useState<Record<string, TaskResult>>({});
  const [attempts, setAttempts] = useState<LabAttemptView[]>([]);
  const [passedEver, setPassedEver] = useState<string[]>([]);
  const [checking, setChecking] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadAttempts = useCallback(async () => {
    try {
      const r = await api.get<{ attempts: LabAttemptView[]; passedTasks: string[] }>(
        `/api/labs/attempts?labId=${encodeURIComponent(labId)}`,
      );
      setAttempts(r.attempts);
      setPassedEver(r.passedTasks);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [labId]);
  useEffect(() => {
    void loadAttempts();
  }, [loadAttempts]);

  const hintsUsed = Object.values(hintsShown).reduce((a, n) => a + n, 0);
  const check = async (only: string[]) => {
    if (!sessionId) return;
    setChecking(only.length === 1 ? (only[0] ?? null) : 'all');
    setError(null);
    try {
      const { attempt } = await api.post<{ attempt: LabAttemptView }>(`/api/labs/sessions/${sessionId}/check`, {
        tasks: only,
        answers,
        hintsUsed,
      });
      setResults((prev) => ({ ...prev, ...Object.fromEntries(attempt.results.map((r) => [r.taskId, r])) }));
      await loadAttempts();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setChecking(null);
    }
  };

  const best = attempts.reduce((b, a) => Math.max(b, a.passed), 0);
  return (
    <section className="lab-tasks stack" aria-label="Tasks">
      <div className="lab-tasks-bar">
        <h2>Tasks</h2>
        <button
          type="button"
          className="btn btn-primary btn-small"
          disabled={!sessionId || checking !== null}
          onClick={() => void check([])}
        >
          {checking === 'all' ? 'Checking…' : 'Check all'}
        </button>
      </div>
      {!sessionId && <p className="muted">Start a VM to check your work.</p>}
      {error && (
        <p className="notice" role="alert">
          {error}
        </p>
      )}
      <ol className="lab-task-list">
        {tasks.map((t) => {
          const r = results[t.id];
          const shown = hintsShown[t.id] ?? 0;
          return (
            <li key={t.id} className="lab-task" data-testid={`task-${t.id}`}>
              <p className="lab-task-title">
                {passedEver.includes(t.id) && <span title="Passed in an earlier attempt">✓ </span>}
                {t.title}
              </p>
              {t.answer && (
                <p className="lab-answer">
                  <label htmlFor={`answer-${t.id}`}>{t.answer.prompt}</label>{' '}
                  {t.answer.choices ? (
                    <select
                      id={`answer-${t.id}`}
                      value={answers[t.id] ?? ''}
                      onChange={(e) => setAnswers({ ...answers, [t.id]: e.target.value })}
                    >
                      <option value="">—</option>
                      {t.answer.choices.map((c) => (
                        <option key={c} value={c}>
                          {c}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <input
                      value={answers[t.id] ?? ''}
                      maxLength={200}
                      onChange={(e) => setAnswers({ ...answers, [t.id]: e.target.value })}
                    />
                  )}
                </p>
              )}
              <div className="lab-task-actions">
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={!sessionId || checking !== null}
                  onClick={() => void check([t.id])}
                >
                  {checking === t.id ? 'Checking…' : 'Check'}
                </button>
                {shown < t.hintsHtml.length && (
                  <button type="button" className="btn btn-small" onClick={() => setHintsShown({ ...hintsShown, [t.id]: shown + 1 })}>
                    {shown === 0 ? 'Hint' : 'Next hint'} ({shown + 1}/{t.hintsHtml.length})
                  </button>
                )}
              </div>
              {shown > 0 && (
                <ol className="lab-hints">
                  {t.hintsHtml.slice(0, shown).map((h) => (
                    // biome-ignore lint/security/noDangerouslySetInnerHtml: renderInline escapes raw HTML and unsafe URLs
                    <li key={h} dangerouslySetInnerHTML={{ __html: h }} />
                  ))}
                </ol>
              )}
              {r && (
                <div className={`lab-result ${r.passed ? 'lab-pass' : 'lab-fail'}`} role="status" data-testid={`result-${t.id}`}>
                  <p>
                    <strong>{r.passed ? 'Passed' : 'Not yet'}</strong> — {r.reason} <span className="muted">({seconds(r.durationMs)})</span>
                  </p>
                  {r.evidence.map((e) => (
                    <details key={e.source} open={!r.passed}>
                      <summary>{e.source}</summary>
                      <pre className="lab-evidence">{e.lines.join('\n')}</pre>
                    </details>
                  ))}
                </div>
              )}
            </li>
          );
        })}
      </ol>
      {attempts.length > 0 && (
        <details className="lab-attempts">
          <summary>
            {attempts.length} attempt{attempts.length === 1 ? '' : 's'} · best {best}/{tasks.length} · last after{' '}
            {seconds(attempts[0]?.timeSpentMs ?? 0)}
          </summary>
          <ul>
            {attempts.map((a) => (
              <li key={a.id}>
                {new Date(a.checkedAt).toLocaleString()} — {a.passed}/{a.total} passed, {a.hintsUsed} hint{a.hintsUsed === 1 ? '' : 's'}{' '}
                used, {seconds(a.timeSpentMs)} into the session
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
