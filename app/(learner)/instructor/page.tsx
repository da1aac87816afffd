import type { Metadata } from 'next';
import Link from 'next/link';
import { forbidden } from 'next/navigation';
import { canViewInstructorArea, requireViewerForPage } from '@/lib/auth';
import { listCohorts } from '@/lib/cohorts';
import { listLearners } from '@/lib/learners';

export const metadata: Metadata = { title: 'Instructor' };

const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' });

export default async function InstructorPage() {
  const viewer = await requireViewerForPage();
  if (!canViewInstructorArea(viewer)) forbidden();
  const [learners, cohorts] = await Promise.all([listLearners(), listCohorts(viewer)]);
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Instructor</h1>
          <p className="page-lead">
            {viewer.role === 'admin' ? 'Every cohort on this server' : 'Your cohorts'}, then every learner who has signed up.
          </p>
        </div>
        <Link href="/instructor/cohorts/new" className="btn btn-primary">
          New cohort
        </Link>
      </div>
      <section className="stack" aria-labelledby="cohorts-h">
        <h2 id="cohorts-h">Cohorts</h2>
        {cohorts.length === 0 ? (
          <p className="notice">No cohort yet. Create one, share its join code, and its dashboard follows your learners.</p>
        ) : (
          <ul className="grid cohort-cards">
            {cohorts.map((c) => (
              <li key={c.id} className="card">
                <h3>
                  <Link href={`/instructor/cohorts/${c.id}`}>{c.name}</Link>
                </h3>
                <p className="muted">
                  {dateFmt.format(new Date(c.startsAt))} – {dateFmt.format(new Date(c.endsAt))}
                  <br />
                  {c.members} learner{c.members === 1 ? '' : 's'} · {c.items} graded item{c.items === 1 ? '' : 's'}
                  {viewer.role === 'admin' && ` · run by ${c.ownerName}`}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
      <h2>All learners</h2>
      {learners.length === 0 ? (
        <p className="notice">No learners have signed up yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table-cards">
            <caption className="sr-only">Learners and their progress</caption>
            <thead>
              <tr>
                <th scope="col">Learner</th>
                <th scope="col" className="hide-narrow">
                  Joined
                </th>
                <th scope="col" className="num">
                  Lessons read
                </th>
                <th scope="col" className="num">
                  Cards in queue
                </th>
                <th scope="col" className="num">
                  Reviews
                </th>
                <th scope="col" className="num">
                  Quiz walks
                </th>
                <th scope="col" className="num">
                  Lab sessions
                </th>
              </tr>
            </thead>
            <tbody>
              {learners.map((l) => (
                <tr key={l.id}>
                  <td data-label="Learner">
                    {l.name}
                    <div className="muted" style={{ fontSize: '0.85rem' }}>
                      {l.email}
                    </div>
                  </td>
                  <td className="hide-narrow" data-label="Joined">
                    {dateFmt.format(l.joinedAt)}
                  </td>
                  <td className="num" data-label="Lessons read">
                    {l.lessonsRead}
                  </td>
                  <td className="num" data-label="Cards in queue">
                    {l.cardsInQueue}
                  </td>
                  <td className="num" data-label="Reviews">
                    {l.reviews}
                  </td>
                  <td className="num" data-label="Quiz walks">
                    {l.quizWalks}
                  </td>
                  <td className="num" data-label="Lab sessions">
                    {l.labSessions}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
