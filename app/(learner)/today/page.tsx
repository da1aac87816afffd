import type { Metadata } from 'next';
import Link from 'next/link';
import { requireViewerForPage } from '@/lib/auth';
import { getCourse, nextUnreadLesson } from '@/lib/course';
import { listLabs } from '@/lib/labs';
import { getLearnerToday, type LearnerToday } from '@/lib/learners';
import { loadDailyQueue } from '@/lib/srs';

export const metadata: Metadata = { title: 'Today' };

export default async function TodayPage() {
  const viewer = await requireViewerForPage();
  const now = new Date();
  // "Today" is the learner's review day: their time zone, starting at their day-start hour.
  // The queue's counts are what the Review page will show (daily limits, burying, suspensions).
  const queue = await loadDailyQueue(viewer.id, now, 0);
  const [today, next] = await Promise.all([getLearnerToday(viewer.id, now, new Date(queue.day.start)), nextUnreadLesson(viewer.id)]);
  const cardsDue = queue.counts.learning + queue.counts.review + queue.counts.new;
  const quizCount = getCourse().quizzes.length;
  const labs = listLabs();
  // The next step counts due cards as the Review page will (the daily queue).
  const step = nextStep({ ...today, cardsDue }, next, labs[0]?.id ?? null);
  return (
    <div className="stack">
      <div>
        <h1>Today</h1>
        <p className="page-lead" data-testid="greeting">
          {today.isNew
            ? `Welcome to Kernel Map, ${viewer.name}. Start with the first lesson; its cards join your daily review as you read.`
            : `Welcome back, ${viewer.name}. Here is where you stand.`}
        </p>
      </div>
      <section className="card next-step" aria-labelledby="next-step-title" data-testid="next-step">
        <p className="muted quiz-progress">Your next step</p>
        <h2 id="next-step-title">{step.title}</h2>
        {step.detail && <p className="muted">{step.detail}</p>}
        <Link className="btn btn-primary" href={step.href}>
          {step.action}
        </Link>
      </section>
      <section className="grid" aria-label="Your progress">
        <div className="card">
          <h2>Cards due</h2>
          <div className="stat" data-testid="cards-due">
            {cardsDue}
          </div>
          <p className="muted">
            {today.cardsInQueue === 0
              ? 'No cards in your queue yet. Cards join it as you read lessons.'
              : `${today.cardsInQueue} cards in your queue; ${today.reviewsToday} reviewed today.`}{' '}
            {cardsDue > 0 && <Link href="/review">Review now</Link>}
          </p>
        </div>
        <div className="card">
          <h2>Lessons read</h2>
          <div className="stat" data-testid="lessons-read">
            {today.lessonsRead}
            {today.lessonsTotal > 0 && (
              <span className="muted" style={{ fontSize: '1rem' }}>
                {' '}
                / {today.lessonsTotal}
              </span>
            )}
          </div>
          <p className="muted">
            {today.lessonsTotal === 0 ? (
              'The course content has not been loaded into this server yet.'
            ) : next ? (
              <>
                Next: <Link href={`/learn/${next.id}`}>{next.title}</Link>
              </>
            ) : (
              'You have read every lesson.'
            )}
          </p>
        </div>
        <div className="card">
          <h2>Quizzes walked</h2>
          <div className="stat" data-testid="quizzes-finished">
            {today.quizzesFinished}
            <span className="muted" style={{ fontSize: '1rem' }}>
              {' '}
              / {quizCount}
            </span>
          </div>
          <p className="muted">
            <Link href="/quizzes">Walk a decision tree</Link>
          </p>
        </div>
      </section>
      <section aria-labelledby="labs-title" className="stack">
        <h2 id="labs-title" style={{ margin: 0, fontSize: '1.2rem' }}>
          Labs
        </h2>
        <ul className="lesson-list" data-testid="today-labs">
          {labs.map((l) => (
            <li key={l.id}>
              <Link href={`/labs/${l.id}`} className="lesson-link">
                <span className="lesson-title">{l.title}</span>
                <span className="muted lesson-meta">
                  {today.runningLab?.labId === l.id ? 'running now · ' : ''}
                  {l.arches.join(' · ')}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      </section>
      <p className="muted">
        In a class? <Link href="/join">Join its cohort with the code</Link> your instructor gave you.
      </p>
    </div>
  );
}

/**
 * The one thing to do next, in this order: a running lab (its VM's time is running out), due cards,
 * the next unread lesson, else a quiz.
 */
function nextStep(
  today: LearnerToday,
  next: { id: string; title: string } | null,
  firstLab: string | null,
): { title: string; detail?: string; href: string; action: string } {
  if (today.runningLab)
    return {
      title: 'Continue your lab',
      detail: `Your ${today.runningLab.arch} VM is still running.`,
      href: `/labs/${today.runningLab.labId}`,
      action: 'Back to the lab',
    };
  if (today.cardsDue > 0)
    return {
      title: `Review ${today.cardsDue} ${today.cardsDue === 1 ? 'card' : 'cards'}`,
      detail: 'A few minutes with the keyboard keeps what you read.',
      href: '/review',
      action: 'Start reviewing',
    };
  if (next)
    return {
      title: today.lessonsRead === 0 ? `Read the first lesson: ${next.title}` : `Read the next lesson: ${next.title}`,
      href: `/learn/${next.id}`,
      action: 'Read it',
    };
  if (firstLab) return { title: 'Try a lab', detail: 'A shell in your own Linux VM.', href: `/labs/${firstLab}`, action: 'Open the lab' };
  return { title: 'Walk a quiz', href: '/quizzes', action: 'Choose a quiz' };
}
