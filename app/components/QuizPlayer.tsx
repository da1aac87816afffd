'use client';

import Link from 'next/link';
import { type HTMLAttributes, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, errorMessage } from '@/lib/api-client';
import type { AnswerResult, AttemptView, Debrief, TreeProgress } from '@/lib/quiz';
import { ProgressBar } from './ProgressBar';

/**
 * Walks a decision-tree quiz. Keyboard: 1–5 choose, Enter continues. Every choice is saved as it
 * is made, so a reload resumes the walk where it was.
 */
export function QuizPlayer({ quizId, initial, initialTree }: { quizId: string; initial: AttemptView | null; initialTree: TreeProgress }) {
  const [attempt, setAttempt] = useState<AttemptView | null>(initial);
  // After a right answer the node stays on screen with its feedback until the learner continues.
  const [solved, setSolved] = useState<{
    node: NonNullable<AttemptView['node']>;
    choiceIndex: number;
    feedbackHtml: string;
    next: AttemptView;
  } | null>(null);
  const [boosted, setBoosted] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const continueButton = useRef<HTMLButtonElement>(null);

  // After a right answer, Continue gets the focus (Enter presses it) and scrolls into view.
  useEffect(() => {
    if (solved) continueButton.current?.focus();
  }, [solved]);

  const start = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      const { attempt: a } = await api.post<{ attempt: AttemptView }>(`/api/quizzes/${quizId}/attempts`);
      setAttempt(a);
      setSolved(null);
      setBoosted(0);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }, [quizId]);

  const choose = useCallback(
    async (choiceIndex: number) => {
      if (!attempt?.node || busy || solved) return;
      if (attempt.node.tried.some((t) => t.index === choiceIndex)) return;
      setBusy(true);
      setError(null);
      try {
        const r = await api.post<AnswerResult>(`/api/quiz-attempts/${attempt.attemptId}/answers`, { nodeId: attempt.node.id, choiceIndex });
        setBoosted((b) => b + r.boosted);
        if (r.correct) setSolved({ node: attempt.node, choiceIndex, feedbackHtml: r.feedbackHtml, next: r.attempt });
        else setAttempt(r.attempt);
      } catch (e) {
        const current = conflictAttempt(e);
        if (current) {
          // The walk moved on elsewhere (another tab, a double submit): show where it stands.
          setAttempt(current);
          setError('This walk had already moved on (in another tab?). Here is where it stands now.');
        } else {
          setError(errorMessage(e));
        }
      } finally {
        setBusy(false);
      }
    },
    [attempt, busy, solved],
  );

  const proceed = useCallback(() => {
    if (!solved) return;
    setAttempt(solved.next);
    setSolved(null);
  }, [solved]);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) return;
      if (solved && e.key === 'Enter') {
        e.preventDefault();
        proceed();
      } else if (/^[1-5]$/.test(e.key)) {
        e.preventDefault();
        void choose(Number(e.key) - 1);
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [choose, proceed, solved]);

  const tree = (solved?.next ?? attempt)?.tree ?? initialTree;
  return (
    <div className="stack quiz-player">
      <TreeWalked tree={tree} />
      {body()}
    </div>
  );

  function body() {
    if (!attempt) {
      return (
        <div className="card quiz-card">
          <p>Each question shows what you would see on a real system. Pick the next step; you can try again after a wrong turn.</p>
          <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={busy}>
            {startLabel(tree)}
          </button>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </div>
      );
    }

    const node = solved?.node ?? attempt.node;
    if (!node) {
      const s = attempt.score;
      return (
        <div className="card quiz-card" data-testid="quiz-result">
          <p className="muted">
            Where this path ends · scenario {attempt.scenario.number} of {attempt.scenario.of}
            {attempt.scenario.title ? `: ${attempt.scenario.title}` : ''}
          </p>
          <h2>{attempt.leaf?.title}</h2>
          {attempt.leaf && <Rendered html={attempt.leaf.bodyHtml} className="prose" />}
          <p className="quiz-score">
            {s.firstTry} of {s.nodesPassed} questions right the first time.
            {s.missedNodeIds.length > 0 &&
              ` ${s.missedCardIds.length} cards behind the questions you missed are due in your review queue${boosted > 0 ? ` (${boosted} brought forward on this walk)` : ''}.`}
          </p>
          {attempt.debrief && <DebriefView debrief={attempt.debrief} />}
          <div className="button-row">
            {attempt.debrief && attempt.debrief.cards.length > 0 && (
              <Link className="btn btn-primary" href={reviewLink(attempt.debrief)} data-testid="quiz-review-now">
                Review them now
              </Link>
            )}
            <button
              type="button"
              className={`btn${attempt.debrief?.cards.length ? '' : ' btn-primary'}`}
              onClick={() => void start()}
              disabled={busy}
            >
              {startLabel(attempt.tree)}
            </button>
          </div>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </div>
      );
    }

    return (
      <div className="card quiz-card">
        <p className="muted quiz-progress">
          <span data-testid="quiz-question">Question {attempt.depth}</span>
          <span className="quiz-scenario">
            {' '}
            · scenario {attempt.scenario.number} of {attempt.scenario.of}
          </span>
        </p>
        <Rendered html={node.promptHtml} className="prose quiz-prompt" />
        {node.evidence && (
          <figure className="quiz-evidence-figure">
            <figcaption className="sr-only">What you see on the system</figcaption>
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: long lines scroll inside the box; a keyboard must reach it */}
            <pre className="quiz-evidence" tabIndex={0}>
              {node.evidence}
            </pre>
          </figure>
        )}
        <ol className="quiz-choices">
          {node.choices.map((c) => {
            const wrong = node.tried.find((t) => t.index === c.index);
            const right = solved?.choiceIndex === c.index;
            return (
              <li key={c.index}>
                <button
                  type="button"
                  className={`quiz-choice${wrong ? ' wrong' : ''}${right ? ' right' : ''}`}
                  onClick={() => void choose(c.index)}
                  disabled={busy || Boolean(wrong) || Boolean(solved)}
                  aria-describedby={wrong ? `fb-${node.id}-${c.index}` : undefined}
                >
                  <kbd>{c.index + 1}</kbd> <span>{c.label}</span>
                  {wrong && <span className="sr-only"> (wrong)</span>}
                </button>
                {wrong && <Rendered html={wrong.feedbackHtml} id={`fb-${node.id}-${c.index}`} className="quiz-feedback wrong" />}
              </li>
            );
          })}
        </ol>
        <div role="status" aria-live="polite">
          {solved && (
            <div className="quiz-feedback right">
              {/* Say "Right" once: much feedback already starts with it. */}
              {!startsWithVerdict(solved.feedbackHtml) && <strong>Right.</strong>}
              <Rendered html={solved.feedbackHtml} />
              <button type="button" className="btn btn-primary" onClick={proceed} ref={continueButton}>
                Continue <kbd>Enter</kbd>
              </button>
            </div>
          )}
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </div>
    );
  }
}

/** The Review page with the cards this walk brought back first. */
function reviewLink(d: Debrief): string {
  return `/review?cards=${d.cards.map((c) => encodeURIComponent(c.id)).join(',')}`;
}

/** The end of a walk: each question with the learner's choices beside the ideal one, and the cards a miss brought back. */
function DebriefView({ debrief }: { debrief: Debrief }) {
  const detours = debrief.path.filter((p) => p.taken.some((t) => !t.correct)).length;
  return (
    <>
      <section className="quiz-debrief" aria-labelledby="quiz-path-heading" data-testid="quiz-path">
        <h3 id="quiz-path-heading">Your path beside the ideal path</h3>
        <p className="muted">
          {detours === 0
            ? 'You took the ideal path: every question right the first time.'
            : `You left the ideal path at ${detours} of ${debrief.path.length} questions; the wrong turns are marked.`}
        </p>
        <ol className="quiz-path">
          {debrief.path.map((step) => {
            const detour = step.taken.some((t) => !t.correct);
            return (
              <li key={step.nodeId} className={detour ? 'detour' : undefined}>
                <p className="quiz-path-q">{step.question}</p>
                {!detour ? (
                  <p className="quiz-path-same">
                    <span aria-hidden="true">✓</span> {step.ideal} <span className="muted">— the ideal choice, first time</span>
                  </p>
                ) : (
                  <div className="quiz-path-cols">
                    <div>
                      <p className="quiz-path-label">You chose</p>
                      <ul className="quiz-path-taken">
                        {step.taken.map((t, i) => (
                          // biome-ignore lint/suspicious/noArrayIndexKey: choices in the order made; a choice is made once
                          <li key={i} className={t.correct ? 'right' : 'wrong'}>
                            <span aria-hidden="true">{t.correct ? '✓' : '✗'}</span>
                            <span className="sr-only">{t.correct ? 'right:' : 'wrong:'}</span> {t.label}
                          </li>
                        ))}
                      </ul>
                    </div>
                    <div>
                      <p className="quiz-path-label">Ideal</p>
                      <p className="quiz-path-ideal">{step.ideal}</p>
                    </div>
                  </div>
                )}
              </li>
            );
          })}
        </ol>
      </section>
      {debrief.cards.length > 0 && (
        <section className="quiz-debrief" aria-labelledby="quiz-cards-heading" data-testid="quiz-cards">
          <h3 id="quiz-cards-heading">Cards your misses brought back</h3>
          <p className="muted">
            {debrief.cards.length === 1 ? 'This card is' : `These ${debrief.cards.length} cards are`} due in your review queue now.
          </p>
          <ul className="quiz-card-list">
            {debrief.cards.map((c) => (
              <li key={c.id}>{c.front}</li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

/** What starting a walk means for this learner: a first walk, a scenario not yet finished, or a retake. */
function startLabel(tree: TreeProgress): string {
  if (tree.scenariosFinished === 0) return 'Start the quiz';
  return tree.scenariosFinished < tree.scenarios ? 'Walk another scenario' : 'Walk it again';
}

/** How much of the tree the learner has walked over all their attempts: what makes a retake worth it. */
function TreeWalked({ tree }: { tree: TreeProgress }) {
  const walked = tree.nodesWalked + tree.leavesReached;
  const total = tree.nodes + tree.leaves;
  return (
    <div className="quiz-tree" data-testid="quiz-tree">
      <ProgressBar value={walked} max={total} label={`Tree walked: ${walked} of ${total} questions and endings`} />
      <p className="muted quiz-tree-text">
        {tree.nodesWalked} of {tree.nodes} questions passed · {tree.leavesReached} of {tree.leaves} endings reached ·{' '}
        {tree.scenariosFinished} of {tree.scenarios} scenarios finished
      </p>
    </div>
  );
}

/** The walk as it stands, from a 409 answer to a stale question (lib/quiz `answer`). */
function conflictAttempt(e: unknown): AttemptView | null {
  if (!(e instanceof ApiError) || e.code !== 'conflict') return null;
  const d = e.details;
  if (typeof d !== 'object' || d === null || !('attempt' in d)) return null;
  const a = (d as { attempt: unknown }).attempt;
  return typeof a === 'object' && a !== null && 'attemptId' in a ? (a as AttemptView) : null;
}

/** True when feedback already opens with a verdict ("Right: …", "Yes. …", "Correct —"). */
function startsWithVerdict(html: string): boolean {
  return /^(right|yes|correct)\b/i.test(html.replace(/<[^>]*>/g, '').trimStart());
}

/** HTML made by lib/content/render: raw HTML in content is escaped and unsafe URLs dropped. */
function Rendered({ html, ...rest }: { html: string } & HTMLAttributes<HTMLDivElement>) {
  // biome-ignore lint/security/noDangerouslySetInnerHtml: the one place quiz HTML is set; see above
  return <div {...rest} dangerouslySetInnerHTML={{ __html: html }} />;
}
