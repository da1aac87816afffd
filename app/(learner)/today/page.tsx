import type { Metadata } from 'next';
import Link from 'next/link';
import { requireViewerForPage } from '@/lib/auth';
import { getCourse, nextUnreadLesson } from '@/lib/course';
import { getLearnerToday } from '@/lib/learners';
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
  return (
    <div className="stack">
      <div>
        <h1>Today</h1>
        <p className="page-lead">Welcome back, {viewer.name}. Here is where you stand.</p>
      </div>
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
    </div>
  );
}
