import type { Metadata } from 'next';
import Link from 'next/link';
import { OptimisePanel } from '@/app/components/OptimisePanel';
import { ReviewCharts } from '@/app/components/ReviewCharts';
import { requireViewerForPage } from '@/lib/auth';
import { getCourse } from '@/lib/course';
import { getReviewSettings, getReviewStats } from '@/lib/srs';
import { MIN_REVIEWS_FOR_OPTIMISATION } from '@/lib/srs/optimize-limits';

export const metadata: Metadata = { title: 'Review stats' };

export default async function ReviewStatsPage() {
  const viewer = await requireViewerForPage();
  const [stats, settings] = await Promise.all([getReviewStats(viewer.id, new Date()), getReviewSettings(viewer.id)]);
  const partTitles = Object.fromEntries(getCourse().parts.map((p) => [p.id, p.title]));
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Review stats</h1>
          <p className="page-lead">
            {stats.totalReviews} review{stats.totalReviews === 1 ? '' : 's'} in all · streak{' '}
            <strong data-testid="streak">
              {stats.streak} day{stats.streak === 1 ? '' : 's'}
            </strong>{' '}
            · days end at your day-start hour in {stats.timezone}.
          </p>
        </div>
        <Link href="/review" className="btn">
          Back to review
        </Link>
      </div>
      <ReviewCharts stats={stats} partTitles={partTitles} />
      <OptimisePanel reviews={stats.totalReviews} minimum={MIN_REVIEWS_FOR_OPTIMISATION} personalised={settings.fsrsParameters !== null} />
      <section className="card" aria-labelledby="export">
        <h2 id="export">Export</h2>
        <p className="muted">Your data, yours to keep or take to Anki.</p>
        <ul>
          <li>
            <a href="/api/review/export?format=cards" download>
              Cards with their schedule (CSV)
            </a>
          </li>
          <li>
            <a href="/api/review/export?format=log" download>
              Full review log (CSV)
            </a>
          </li>
          <li>
            <a href="/api/review/export?format=anki" download>
              Cards for Anki (text file: File → Import, fields front / back / tags)
            </a>
          </li>
        </ul>
      </section>
    </div>
  );
}
