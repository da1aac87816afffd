import type { Metadata } from 'next';
import { JoinCohortForm } from '@/app/components/JoinCohortForm';
import { requireViewerForPage } from '@/lib/auth';
import { formatJoinCode, listMyCohorts } from '@/lib/cohorts';

export const metadata: Metadata = { title: 'Cohorts' };

const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** Join a cohort with its code (a shared link fills it in) and see the cohorts you are in. */
export default async function JoinPage({ searchParams }: { searchParams: Promise<{ code?: string | string[] }> }) {
  const viewer = await requireViewerForPage();
  const raw = (await searchParams).code;
  const code =
    typeof raw === 'string'
      ? raw
          .replace(/[^A-Za-z0-9]/g, '')
          .toUpperCase()
          .slice(0, 8)
      : '';
  const cohorts = await listMyCohorts(viewer.id);
  return (
    <div className="stack">
      <div>
        <h1>Cohorts</h1>
        <p className="page-lead">
          Your instructor gives you a join code. Your instructor sees your progress in their cohort: reviews, lessons read, quiz walks and
          lab Checks. Other learners never see yours.
        </p>
      </div>
      <JoinCohortForm initialCode={code.length === 8 ? formatJoinCode(code) : code} />
      <section className="stack" aria-labelledby="my-cohorts-h">
        <h2 id="my-cohorts-h">Your cohorts</h2>
        {cohorts.length === 0 ? (
          <p className="notice">You are not in a cohort yet.</p>
        ) : (
          cohorts.map((c) => (
            <article key={c.id} className="card" data-testid="my-cohort">
              <h3>{c.name}</h3>
              <p className="muted">Run by {c.instructor}</p>
              {c.items.length === 0 ? (
                <p className="muted">Nothing graded yet.</p>
              ) : (
                <ul>
                  {c.items.map((i) => (
                    <li key={`${i.kind}:${i.title}`}>
                      <span className="badge">{i.kind}</span> {i.title} — {i.points} points, due {dateFmt.format(new Date(i.dueAt))} UTC
                    </li>
                  ))}
                </ul>
              )}
            </article>
          ))
        )}
      </section>
    </div>
  );
}
