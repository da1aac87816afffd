import type { Metadata } from 'next';
import { forbidden } from 'next/navigation';
import { canViewInstructorArea, requireViewerForPage } from '@/lib/auth';
import { listLearners } from '@/lib/learners';

export const metadata: Metadata = { title: 'Instructor' };

const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' });

export default async function InstructorPage() {
  const viewer = await requireViewerForPage();
  if (!canViewInstructorArea(viewer)) forbidden();
  const learners = await listLearners();
  return (
    <div className="stack">
      <div>
        <h1>Instructor</h1>
        <p className="page-lead">Every learner on this server. Cohorts, join codes and grade export are not built yet.</p>
      </div>
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
