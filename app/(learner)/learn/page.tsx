import type { Metadata } from 'next';
import Link from 'next/link';
import { CardIntroductionSetting } from '@/app/components/CardIntroductionSetting';
import { ProgressBar } from '@/app/components/ProgressBar';
import { requireViewerForPage } from '@/lib/auth';
import { getCardIntroduction, getLearnOverview } from '@/lib/course';

export const metadata: Metadata = { title: 'Learn' };

export default async function LearnPage() {
  const viewer = await requireViewerForPage();
  const [parts, cardIntroduction] = await Promise.all([getLearnOverview(viewer.id), getCardIntroduction(viewer.id)]);
  const total = parts.reduce((n, p) => n + p.lessons.length, 0);
  const read = parts.reduce((n, p) => n + p.read, 0);
  return (
    <div className="stack">
      <div>
        <h1>Learn</h1>
        <p className="page-lead">
          The map, part by part. You have read {read} of {total} lessons.
        </p>
      </div>
      {parts.map((p) => (
        <section key={p.id} className="part" aria-labelledby={`part-${p.id}`}>
          <div className="part-head">
            <h2 id={`part-${p.id}`}>{p.title}</h2>
            <ProgressBar value={p.read} max={p.lessons.length} label={`${p.title}: ${p.read} of ${p.lessons.length} lessons read`} />
          </div>
          <p className="muted">{p.summary}</p>
          <ol className="lesson-list">
            {p.lessons.map((l) => (
              <li key={l.id}>
                <Link href={`/learn/${l.id}`} className="lesson-link">
                  <span className="lesson-title">
                    {l.read && (
                      <span className="read-dot" role="img" aria-label="read">
                        ✓
                      </span>
                    )}
                    {l.title}
                  </span>
                  <span className="muted lesson-meta">
                    {l.minutes} min · {l.cards} cards
                  </span>
                </Link>
                <p className="muted lesson-summary">{l.summary}</p>
              </li>
            ))}
          </ol>
        </section>
      ))}
      <CardIntroductionSetting initial={cardIntroduction} />
    </div>
  );
}
