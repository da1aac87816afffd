'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';
import type { ReviewCard, ReviewSession } from '@/lib/review';
import { newClientReviewId, type RateAnswer, ReviewSync, type SyncStatus } from '@/lib/review/sync';
import {
  CardStateCode,
  formatInterval,
  memoryFromJson,
  memoryToJson,
  previewRatings,
  RATING_NAMES,
  REVIEW_RATINGS,
  type ReviewRating,
  rateMemory,
  type SchedulerSettings,
} from '@/lib/srs/schedule';
import { ProgressBar } from './ProgressBar';

/** Learning cards due within this window are shown now rather than waited for (Anki's learn-ahead). */
const LEARN_AHEAD_MS = 20 * 60_000;

interface Done {
  clientReviewId: string;
  rating: ReviewRating;
  before: ReviewCard;
}

/**
 * The card to show: learning cards that are due, then reviews and new cards in queue order; with
 * nothing else left, a learning card due within the learn-ahead window (or any, once asked).
 */
function pickNext(queue: readonly ReviewCard[], now: number, learnAheadAll: boolean): ReviewCard | null {
  const learning = queue.filter((c) => c.kind === 'learning').sort((a, b) => Date.parse(a.memory.due) - Date.parse(b.memory.due));
  const first = learning[0];
  if (first && Date.parse(first.memory.due) <= now) return first;
  const other = queue.find((c) => c.kind !== 'learning');
  if (other) return other;
  if (first && (learnAheadAll || Date.parse(first.memory.due) <= now + LEARN_AHEAD_MS)) return first;
  return null;
}

function syncText(s: SyncStatus): string {
  if (!s.loaded) return 'Checking for ratings saved in this browser…';
  if (s.signedOut) {
    const kept = s.waiting === 0 ? 'Nothing is waiting' : `${s.waiting} rating${s.waiting === 1 ? ' is' : 's are'} kept in this browser`;
    return `Your sign-in has expired. ${kept}; sign in again and ${s.waiting === 1 ? 'it syncs' : 'they sync'}.`;
  }
  if (s.waiting === 0) return s.offline ? 'Offline — nothing waiting; your ratings are saved.' : 'All ratings saved.';
  const n = `${s.waiting} rating${s.waiting === 1 ? '' : 's'} waiting to sync`;
  return s.offline ? `Offline — ${n}. They are kept in this browser and sent when the connection returns.` : `${n}…`;
}

/**
 * The Review page's player. The whole day's queue arrives with the page, so rating never waits
 * for the network: the next state is computed here with lib/srs's own scheduler, the rating goes
 * to the IndexedDB outbox (lib/review/sync) and is sent behind the UI. Keys: Space/Enter show the
 * answer, 1–4 rate, U undo, S suspend, E open the lesson section, ? the key list.
 */
export function Reviewer({ session, userId }: { session: ReviewSession; userId: string }) {
  const settings: SchedulerSettings = useMemo(
    () => ({
      desiredRetention: session.settings.desiredRetention,
      maximumInterval: session.settings.maximumInterval,
      weights: session.settings.fsrsParameters,
    }),
    [session.settings],
  );
  const dayEnd = Date.parse(session.day.end);
  const [queue, setQueue] = useState<ReviewCard[]>(session.cards);
  const [revealed, setRevealed] = useState(false);
  /** The keys (and buttons) work once this client code runs; the card is visible before that. */
  const [keysReady, setKeysReady] = useState(false);
  const [history, setHistory] = useState<Done[]>([]);
  const [again, setAgain] = useState(0);
  const [status, setStatus] = useState<SyncStatus>({ loaded: false, waiting: 0, offline: false, signedOut: false, refused: [] });
  const [helpOpen, setHelpOpen] = useState(false);
  const [message, setMessage] = useState('');
  const [guess, setGuess] = useState('');
  const [now, setNow] = useState(() => Date.now());
  const [learnAheadAll, setLearnAheadAll] = useState(false);
  /** After an undo the restored card is shown first, whatever its kind. */
  const [forcedId, setForcedId] = useState<string | null>(null);
  const shownAt = useRef(Date.now());
  const known = useRef(new Set(session.cards.map((c) => c.cardId)));
  const syncRef = useRef<ReviewSync | null>(null);
  const lessonLink = useRef<HTMLAnchorElement>(null);
  const answerRef = useRef<HTMLDivElement>(null);
  const total = session.cards.length;

  useEffect(() => {
    const sync = new ReviewSync(userId, (a: RateAnswer) => {
      // Cards the server now has in the queue that this page has never seen (e.g. introduced
      // from another tab) join at the end; cards already known are managed here.
      const fresh = (a.next as ReviewCard[]).filter((c) => !known.current.has(c.cardId));
      if (fresh.length === 0) return;
      for (const c of fresh) known.current.add(c.cardId);
      setQueue((q) => [...q, ...fresh]);
    });
    syncRef.current = sync;
    const unsubscribe = sync.subscribe(setStatus);
    void sync.resume();
    const tick = setInterval(() => setNow(Date.now()), 15_000);
    return () => {
      clearInterval(tick);
      unsubscribe();
      sync.dispose();
    };
  }, [userId]);

  const current = queue.find((c) => c.cardId === forcedId) ?? pickNext(queue, now, learnAheadAll);
  const currentId = current?.cardId;

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new card restarts the timer
  useEffect(() => {
    shownAt.current = Date.now();
    setGuess('');
  }, [currentId]);

  const previews = useMemo(() => {
    if (!current) return null;
    const p = previewRatings(memoryFromJson(current.memory), current.cardId, new Date(now), settings);
    return Object.fromEntries(REVIEW_RATINGS.map((r) => [r, formatInterval(new Date(now), p[r].due)])) as Record<ReviewRating, string>;
  }, [current, now, settings]);

  const reveal = useCallback(() => {
    setRevealed(true);
    setMessage('');
    requestAnimationFrame(() => answerRef.current?.focus());
  }, []);

  const rate = useCallback(
    (rating: ReviewRating) => {
      if (!current || !syncRef.current) return;
      const at = new Date();
      const { memory } = rateMemory(memoryFromJson(current.memory), current.cardId, rating, at, settings);
      const clientReviewId = newClientReviewId();
      setQueue((q) => {
        const rest = q.filter((c) => c.cardId !== current.cardId);
        const inLearning = memory.state === CardStateCode.learning || memory.state === CardStateCode.relearning;
        return inLearning && memory.due.getTime() < dayEnd
          ? [...rest, { ...current, kind: 'learning', memory: memoryToJson(memory) }]
          : rest;
      });
      setHistory((h) => [...h, { clientReviewId, rating, before: current }]);
      if (rating === 1) setAgain((n) => n + 1);
      setForcedId(null);
      setRevealed(false);
      setMessage('');
      setNow(Date.now());
      syncRef.current
        .add({
          clientReviewId,
          userId,
          cardId: current.cardId,
          rating,
          reviewedAt: at.toISOString(),
          durationMs: Math.min(Date.now() - shownAt.current, 86_400_000),
        })
        .catch((e) => setMessage(`This rating could not be stored in the browser: ${errorMessage(e)}`));
    },
    [current, settings, dayEnd, userId],
  );

  const undo = useCallback(async () => {
    const last = history[history.length - 1];
    if (!last || !syncRef.current) {
      setMessage('Nothing to undo.');
      return;
    }
    setHistory((h) => h.slice(0, -1));
    try {
      await syncRef.current.undo(last.clientReviewId);
      setQueue((q) => [last.before, ...q.filter((c) => c.cardId !== last.before.cardId)]);
      setForcedId(last.before.cardId);
      if (last.rating === 1) setAgain((n) => Math.max(0, n - 1));
      setRevealed(false);
      setMessage(`Undone: "${last.before.lessonTitle}" card is back.`);
    } catch (e) {
      setHistory((h) => [...h, last]);
      setMessage(`Could not undo: ${errorMessage(e)}`);
    }
  }, [history]);

  const suspend = useCallback(async () => {
    if (!current) return;
    try {
      await api.put(`/api/cards/${current.cardId}/suspension`, { suspended: true });
      setQueue((q) => q.filter((c) => c.cardId !== current.cardId));
      setRevealed(false);
      setMessage('Card suspended. Bring it back from “Set aside” below the review.');
    } catch (e) {
      setMessage(`Could not suspend: ${errorMessage(e)}`);
    }
  }, [current]);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      if (t && t.tagName === 'BUTTON' && (e.key === ' ' || e.key === 'Enter')) return;
      const key = e.key.toLowerCase();
      if (e.key === '?') {
        e.preventDefault();
        setHelpOpen((o) => !o);
      } else if (e.key === 'Escape') {
        setHelpOpen(false);
      } else if (current && !revealed && (e.key === ' ' || e.key === 'Enter')) {
        e.preventDefault();
        reveal();
      } else if (current && revealed && ['1', '2', '3', '4'].includes(e.key)) {
        e.preventDefault();
        rate(Number(e.key) as ReviewRating);
      } else if (key === 'u') {
        e.preventDefault();
        void undo();
      } else if (key === 's' && current) {
        e.preventDefault();
        void suspend();
      } else if (key === 'e' && current) {
        e.preventDefault();
        lessonLink.current?.click();
      }
    }
    document.addEventListener('keydown', onKey);
    setKeysReady(true);
    return () => document.removeEventListener('keydown', onKey);
  }, [current, revealed, reveal, rate, undo, suspend]);

  const counts = {
    learning: queue.filter((c) => c.kind === 'learning').length,
    review: queue.filter((c) => c.kind === 'review').length,
    new: queue.filter((c) => c.kind === 'new').length,
  };
  const done = history.length;
  const waitingLearning =
    !current && counts.learning > 0
      ? queue.filter((c) => c.kind === 'learning').sort((a, b) => Date.parse(a.memory.due) - Date.parse(b.memory.due))[0]
      : undefined;
  const timeFmt = new Intl.DateTimeFormat(undefined, { timeZone: session.settings.timezone, hour: '2-digit', minute: '2-digit' });
  const dateFmt = new Intl.DateTimeFormat(undefined, {
    timeZone: session.settings.timezone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  });

  return (
    <section className="reviewer" aria-label="Review">
      <div className="review-bar">
        <ul className="review-counts" aria-label="Cards left today">
          <li className="count-learning" data-testid="count-learning">
            <span className="count-n">{counts.learning}</span> learning
          </li>
          <li className="count-review" data-testid="count-review">
            <span className="count-n">{counts.review}</span> review
          </li>
          <li className="count-new" data-testid="count-new">
            <span className="count-n">{counts.new}</span> new
          </li>
        </ul>
        <p
          className={`sync-state${status.offline || status.signedOut ? ' sync-offline' : ''}`}
          role="status"
          aria-live="polite"
          data-testid="sync-state"
        >
          {syncText(status)}
          {status.signedOut && (
            <>
              {' '}
              <a href="/sign-in?next=/review">Sign in</a>
            </>
          )}
        </p>
      </div>
      <ProgressBar value={done} max={done + queue.length} label="Cards reviewed this session" />
      {status.refused.length > 0 && (
        <div className="notice" role="alert">
          {status.refused.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the list only grows
            <p key={i}>
              A rating of {r.cardId} was not applied: {r.message}
            </p>
          ))}
        </div>
      )}
      {current ? (
        <article
          className="review-card"
          aria-labelledby="review-front-label"
          data-testid="review-card"
          data-card-id={current.cardId}
          data-keys={keysReady ? 'ready' : undefined}
        >
          <header className="review-card-head">
            <span id="review-front-label" className="badge">
              {current.type === 'cloze'
                ? 'Fill the blanks'
                : current.type === 'number'
                  ? 'Number'
                  : current.type === 'scenario'
                    ? 'Scenario'
                    : 'Question'}
              {current.kind === 'new' ? ' · new' : current.kind === 'learning' ? ' · learning' : ''}
            </span>
            <a ref={lessonLink} href={`/learn/${current.lessonId}#${current.anchor}`} target="_blank" rel="noopener" className="muted">
              {current.lessonTitle} <span className="sr-only">(opens in a new tab)</span>
            </a>
          </header>
          {current.leech && (
            <p className="leech-note">
              <strong>Leech:</strong> this card keeps slipping away. Re-reading{' '}
              <a href={`/learn/${current.lessonId}#${current.anchor}`}>its lesson section</a> usually helps more than another review.
            </p>
          )}
          {/* A revealed cloze shows its text once, answers filled in (the back face). */}
          {!(revealed && current.type === 'cloze') && (
            // biome-ignore lint/security/noDangerouslySetInnerHtml: rendered from our own content by lib/content
            <div className="prose review-face" dangerouslySetInnerHTML={{ __html: current.frontHtml }} />
          )}
          {current.type === 'number' && !revealed && (
            <label className="field number-guess">
              <span>Your answer (optional)</span>
              <input
                value={guess}
                onChange={(e) => setGuess(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    reveal();
                  }
                }}
                inputMode="decimal"
              />
            </label>
          )}
          {revealed ? (
            <div ref={answerRef} tabIndex={-1} className="review-answer" data-testid="review-answer">
              {current.type === 'number' && guess.trim() !== '' && <p className="muted">You answered: {guess}</p>}
              {current.type !== 'cloze' && <hr />}
              {/* biome-ignore lint/security/noDangerouslySetInnerHtml: rendered from our own content by lib/content */}
              <div className="prose review-face" dangerouslySetInnerHTML={{ __html: current.backHtml }} />
              <fieldset className="rating-buttons">
                <legend className="sr-only">How well did you recall it?</legend>
                {REVIEW_RATINGS.map((r) => (
                  <button key={r} type="button" className={`btn rating rating-${r}`} onClick={() => rate(r)} data-testid={`rate-${r}`}>
                    <span className="rating-name">
                      <kbd>{r}</kbd> {RATING_NAMES[r]}
                    </span>
                    <span className="rating-interval">{previews?.[r]}</span>
                  </button>
                ))}
              </fieldset>
            </div>
          ) : (
            <button type="button" className="btn btn-primary show-answer" onClick={reveal} data-testid="show-answer">
              Show answer <kbd>Space</kbd>
            </button>
          )}
        </article>
      ) : waitingLearning ? (
        <div className="card review-end" data-testid="review-waiting">
          <h2>Almost done</h2>
          <p>
            {counts.learning} card{counts.learning === 1 ? '' : 's'} in learning come{counts.learning === 1 ? 's' : ''} back at{' '}
            {timeFmt.format(new Date(waitingLearning.memory.due))}.
          </p>
          <button type="button" className="btn btn-primary" onClick={() => setLearnAheadAll(true)}>
            Review {counts.learning === 1 ? 'it' : 'them'} now
          </button>
        </div>
      ) : (
        <div className="card review-end" data-testid="review-end">
          <h2>Done for today</h2>
          <p>
            {done === 0 && total === 0
              ? 'Nothing is due right now.'
              : `You reviewed ${done} card${done === 1 ? '' : 's'} this session${again > 0 ? `; ${again} came back after “Again”` : ''}.`}
          </p>
          <p data-testid="next-due">
            {session.nextDue
              ? `The next card is due ${dateFmt.format(new Date(session.nextDue))}.`
              : 'No other cards are scheduled yet — read a lesson to add some.'}
          </p>
          {status.waiting > 0 && (
            <p className="muted">Keep this page open until the ratings above are synced, or come back later: they wait in this browser.</p>
          )}
        </div>
      )}
      {message && (
        <p className="review-message" role="status">
          {message}
        </p>
      )}
      <p className="muted key-hint">
        <kbd>Space</kbd> show · <kbd>1</kbd>–<kbd>4</kbd> rate · <kbd>U</kbd> undo · <kbd>S</kbd> suspend · <kbd>E</kbd> lesson ·{' '}
        <kbd>?</kbd> all keys
      </p>
      {helpOpen && (
        <div className="card key-help" role="dialog" aria-label="Review keys">
          <h2>Keys</h2>
          <dl>
            <dt>
              <kbd>Space</kbd> / <kbd>Enter</kbd>
            </dt>
            <dd>Show the answer</dd>
            <dt>
              <kbd>1</kbd> <kbd>2</kbd> <kbd>3</kbd> <kbd>4</kbd>
            </dt>
            <dd>Again, Hard, Good, Easy — each button shows when you will see the card next</dd>
            <dt>
              <kbd>U</kbd>
            </dt>
            <dd>Undo the last rating (the card returns exactly as it was)</dd>
            <dt>
              <kbd>S</kbd>
            </dt>
            <dd>Suspend this card (un-suspend it below)</dd>
            <dt>
              <kbd>E</kbd>
            </dt>
            <dd>Open the card’s lesson section in a new tab</dd>
            <dt>
              <kbd>?</kbd> / <kbd>Esc</kbd>
            </dt>
            <dd>Show / hide this list</dd>
          </dl>
        </div>
      )}
    </section>
  );
}
