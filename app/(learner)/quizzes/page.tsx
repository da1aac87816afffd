import type { Metadata } from 'next';
import Link from 'next/link';
import { requireViewerForPage } from '@/lib/auth';
import { listQuizzes } from '@/lib/quiz';

export const metadata: Metadata = { title: 'Quizzes' };

export default async function QuizzesPage() {
  const viewer = await requireViewerForPage();
  const groups = await listQuizzes(viewer.id);
  return (
    <div className="stack">
      <div>
        <h1>Quizzes</h1>
        <p className="page-lead">
          Decision trees from real incidents: read the evidence, pick the next step. A wrong turn tells you why, and the cards behind that
          question come back in your review.
        </p>
      </div>
      {groups.map((g) => (
        <section key={g.partTitle} className="part" aria-label={g.partTitle}>
          <h2>{g.partTitle}</h2>
          <ul className="lesson-list">
            {g.quizzes.map((q) => (
              <li key={q.id}>
                <Link href={`/quizzes/${q.id}`} className="lesson-link">
                  <span className="lesson-title">{q.title}</span>
                  <span className="muted lesson-meta">
                    {q.last
                      ? q.last.finished
                        ? `last walk: ${q.last.firstTry}/${q.last.nodesPassed} right first time`
                        : 'in progress'
                      : `${q.nodes} questions`}
                    {q.last && ` · tree ${q.tree.nodesWalked + q.tree.leavesReached}/${q.tree.nodes + q.tree.leaves} walked`}
                  </span>
                </Link>
                <p className="muted lesson-summary">{q.summary}</p>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
