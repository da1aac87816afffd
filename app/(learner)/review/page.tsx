import type { Metadata } from 'next';
import Link from 'next/link';
import { requireViewerForPage } from '@/lib/auth';
import { getQueueOverview } from '@/lib/course';

export const metadata: Metadata = { title: 'Review' };

export default async function ReviewPage() {
  const viewer = await requireViewerForPage();
  const q = await getQueueOverview(viewer.id, new Date());
  return (
    <div className="stack">
      <div>
        <h1>Review</h1>
        <p className="page-lead">Your review queue: cards join it as you read lessons (or all at once, if you chose that on Learn).</p>
      </div>
      <section className="grid" aria-label="Queue">
        <div className="card">
          <h2>In your queue</h2>
          <div className="stat" data-testid="queue-size">
            {q.inQueue}
          </div>
        </div>
        <div className="card">
          <h2>Due now</h2>
          <div className="stat" data-testid="queue-due">
            {q.dueNow}
          </div>
        </div>
      </section>
      <p className="notice" role="status">
        Reviewing cards (FSRS scheduling with keyboard rating) is not built yet. The queue above is real: these cards are waiting for it.
      </p>
      {q.lessons.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Cards in your queue by lesson</caption>
            <thead>
              <tr>
                <th scope="col">Lesson</th>
                <th scope="col" className="num">
                  Cards in queue
                </th>
              </tr>
            </thead>
            <tbody>
              {q.lessons.map((l) => (
                <tr key={l.id}>
                  <td>
                    <Link href={`/learn/${l.id}`}>{l.title}</Link>
                  </td>
                  <td className="num">{l.cards}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
