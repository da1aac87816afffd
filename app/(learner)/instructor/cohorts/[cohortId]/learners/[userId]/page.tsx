import type { Metadata } from 'next';
import Link from 'next/link';
import { forbidden, notFound } from 'next/navigation';
import { ReviewCharts } from '@/app/components/ReviewCharts';
import { canViewInstructorArea, requireViewerForPage } from '@/lib/auth';
import { CohortIdSchema, learnerDrillDown } from '@/lib/cohorts';
import { getCourse } from '@/lib/course';
import { AppError } from '@/lib/errors';
import { UserIdSchema } from '@/lib/schema';

export const metadata: Metadata = { title: 'Learner' };

const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const minutes = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

export default async function LearnerDrillDownPage({ params }: { params: Promise<{ cohortId: string; userId: string }> }) {
  const viewer = await requireViewerForPage();
  if (!canViewInstructorArea(viewer)) forbidden();
  const p = await params;
  const cohortId = CohortIdSchema.safeParse(p.cohortId);
  const userId = UserIdSchema.safeParse(p.userId);
  if (!cohortId.success || !userId.success) notFound();
  const d = await learnerDrillDown(viewer, cohortId.data, userId.data, new Date()).catch((e: unknown) => {
    if (e instanceof AppError && e.code === 'not_found') notFound();
    throw e;
  });
  const partTitles = Object.fromEntries(getCourse().parts.map((x) => [x.id, x.title]));
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>{d.learner.name}</h1>
          <p className="page-lead">
            {d.learner.email} · in {d.cohort.name} since {dateFmt.format(new Date(d.learner.joinedAt))} (UTC) · grade{' '}
            <strong data-testid="learner-grade">
              {d.grade.total}/{d.grade.possible}
            </strong>{' '}
            ({d.grade.percent}%)
          </p>
        </div>
        <Link href={`/instructor/cohorts/${d.cohort.id}`} className="btn">
          Back to the cohort
        </Link>
      </div>

      <section className="card" aria-labelledby="dd-grade-h">
        <h2 id="dd-grade-h">Graded items</h2>
        {d.items.length === 0 ? (
          <p className="muted">Nothing is graded in this cohort yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table-cards">
              <caption className="sr-only">Grade per item</caption>
              <thead>
                <tr>
                  <th scope="col">Item</th>
                  <th scope="col" className="num">
                    Points
                  </th>
                  <th scope="col" className="num">
                    Tries
                  </th>
                  <th scope="col">Counted try</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((item, i) => {
                  const g = d.grade.items[i];
                  return (
                    <tr key={`${item.kind}:${item.itemId}`}>
                      <td data-label="Item">
                        <span className="badge">{item.kind}</span> {item.title}
                      </td>
                      <td className="num" data-label="Points">
                        {g?.points ?? 0}/{item.points}
                      </td>
                      <td className="num" data-label="Tries">
                        {g?.tries ?? 0}
                      </td>
                      <td data-label="Counted try">
                        {g?.countedAt ? dateFmt.format(g.countedAt) : '—'}
                        {g?.late && (
                          <span className="late">
                            {' '}
                            · {g.daysLate} day{g.daysLate === 1 ? '' : 's'} late, −{g.penalty}%
                          </span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="stack" aria-labelledby="dd-labs-h">
        <h2 id="dd-labs-h">Lab Checks</h2>
        {d.labs.length === 0 ? (
          <p className="notice">No lab Check yet.</p>
        ) : (
          d.labs.map((a) => (
            <details key={a.attemptId} className="card lab-check" data-testid="lab-check">
              <summary>
                <strong>{a.title}</strong> · {a.arch} · {dateFmt.format(new Date(a.checkedAt))} UTC ·{' '}
                <span className={a.passed === a.total ? 'check-status check-passed' : 'check-status check-in-progress'}>
                  {a.passed}/{a.total} tasks passed
                </span>{' '}
                · {a.hintsUsed} hint{a.hintsUsed === 1 ? '' : 's'} · {minutes(a.timeSpentMs)} in
              </summary>
              <ul className="lab-check-results">
                {a.results.map((r) => (
                  <li key={r.taskId}>
                    <strong>
                      {r.taskId}: {r.passed ? 'passed' : 'not yet'}
                    </strong>{' '}
                    — {r.reason}
                    {r.evidence.map((e) => (
                      <figure key={e.source} className="evidence">
                        <figcaption className="muted">{e.source}</figcaption>
                        <pre className="lab-evidence">{e.lines.join('\n')}</pre>
                      </figure>
                    ))}
                  </li>
                ))}
              </ul>
            </details>
          ))
        )}
      </section>

      <section className="card" aria-labelledby="dd-quiz-h">
        <h2 id="dd-quiz-h">Quiz walks</h2>
        {d.quizzes.length === 0 ? (
          <p className="muted">No quiz walk yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table-cards">
              <caption className="sr-only">Quiz walks</caption>
              <thead>
                <tr>
                  <th scope="col">Quiz</th>
                  <th scope="col">Started</th>
                  <th scope="col" className="num">
                    Right first try
                  </th>
                  <th scope="col">Missed questions</th>
                </tr>
              </thead>
              <tbody>
                {d.quizzes.map((q) => (
                  <tr key={q.attemptId}>
                    <td data-label="Quiz">
                      {q.title}
                      {q.finishedAt === null && <span className="muted"> (not finished)</span>}
                    </td>
                    <td data-label="Started">{dateFmt.format(new Date(q.startedAt))}</td>
                    <td className="num" data-label="Right first try">
                      {q.firstTry}/{q.nodesPassed}
                    </td>
                    <td data-label="Missed questions">{q.missed.length === 0 ? 'none' : q.missed.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="dd-lessons-h">
        <h2 id="dd-lessons-h">Lessons read</h2>
        {d.lessons.length === 0 ? (
          <p className="muted">No lesson marked read yet.</p>
        ) : (
          <ul>
            {d.lessons.map((l) => (
              <li key={l.lessonId}>
                {l.title} <span className="muted">— {dateFmt.format(new Date(l.readAt))}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <h2>Reviews</h2>
      <p className="muted">
        {d.review.totalReviews} reviews in all · streak {d.review.streak} day{d.review.streak === 1 ? '' : 's'} · the learner’s days (
        {d.review.timezone}).
      </p>
      <ReviewCharts stats={d.review} partTitles={partTitles} learner={d.learner.name} />
    </div>
  );
}
