import type { Metadata } from 'next';
import Link from 'next/link';
import { forbidden, notFound } from 'next/navigation';
import { CohortCharts } from '@/app/components/CohortCharts';
import { RosterTable } from '@/app/components/RosterTable';
import { canViewInstructorArea, requireViewerForPage } from '@/lib/auth';
import { CohortIdSchema, cohortDashboard, FLAG_RULES } from '@/lib/cohorts';
import { AppError } from '@/lib/errors';

export const metadata: Metadata = { title: 'Cohort' };

const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const dayFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' });

export default async function CohortDashboardPage({ params }: { params: Promise<{ cohortId: string }> }) {
  const viewer = await requireViewerForPage();
  if (!canViewInstructorArea(viewer)) forbidden();
  const id = CohortIdSchema.safeParse((await params).cohortId);
  if (!id.success) notFound();
  const d = await cohortDashboard(viewer, id.data, new Date()).catch((e: unknown) => {
    if (e instanceof AppError && e.code === 'not_found') notFound();
    throw e;
  });
  const flagged = d.learners.filter((l) => l.flags.length > 0);
  const base = `/instructor/cohorts/${d.cohort.id}`;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>{d.cohort.name}</h1>
          <p className="page-lead">
            {dayFmt.format(new Date(d.cohort.startsAt))} – {dayFmt.format(new Date(d.cohort.endsAt))} · {d.learners.length} learner
            {d.learners.length === 1 ? '' : 's'} · {flagged.length} flagged
          </p>
        </div>
        <div className="button-row">
          <Link href={`${base}/manage`} className="btn">
            Join code, members, settings
          </Link>
          <a href={`/api/instructor/cohorts/${d.cohort.id}/grades?shape=canvas`} className="btn" download>
            Grades for Canvas (CSV)
          </a>
          <a href={`/api/instructor/cohorts/${d.cohort.id}/grades?shape=moodle`} className="btn" download>
            Grades for Moodle (CSV)
          </a>
        </div>
      </div>

      <section className="card" aria-labelledby="grade-rule-h">
        <h2 id="grade-rule-h">Grade rule</h2>
        {d.cohort.items.length === 0 ? (
          <p className="muted">
            Nothing is graded yet. <Link href={`${base}/manage`}>Choose graded labs and quizzes</Link>.
          </p>
        ) : (
          <div className="table-wrap">
            <table className="table-cards">
              <caption className="sr-only">Graded items</caption>
              <thead>
                <tr>
                  <th scope="col">Item</th>
                  <th scope="col" className="num">
                    Points
                  </th>
                  <th scope="col">Due (UTC)</th>
                </tr>
              </thead>
              <tbody>
                {d.cohort.items.map((i) => (
                  <tr key={`${i.kind}:${i.itemId}`}>
                    <td data-label="Item">
                      <span className="badge">{i.kind}</span> {i.title}
                    </td>
                    <td className="num" data-label="Points">
                      {i.points}
                    </td>
                    <td data-label="Due (UTC)">{dateFmt.format(new Date(i.dueAt))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <ul className="rule-list" data-testid="grade-rule">
          {d.gradeRule.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      </section>

      <section className="card" aria-labelledby="attention-h">
        <h2 id="attention-h">Needs attention</h2>
        {flagged.length === 0 ? (
          <p className="muted">Nobody is flagged.</p>
        ) : (
          <ul className="attention-list" data-testid="flagged">
            {flagged.map((l) => (
              <li key={l.userId}>
                <Link href={`${base}/learners/${l.userId}`}>{l.name}</Link>: {l.flags.map((f) => f.reason).join('; ')}
              </li>
            ))}
          </ul>
        )}
        <p className="muted">
          A learner is flagged with {FLAG_RULES.overdueCards} or more review cards overdue by over a day; retention over the last{' '}
          {FLAG_RULES.retentionWindowDays} days {FLAG_RULES.retentionDropPoints} points below the {FLAG_RULES.retentionWindowDays} days
          before, or below their desired retention (each with at least {FLAG_RULES.retentionMinReviews} reviews); no activity for{' '}
          {FLAG_RULES.inactiveDays} days; or {FLAG_RULES.taskFailures} failed Checks of one lab task in a row.
        </p>
      </section>

      <RosterTable cohortId={d.cohort.id} learners={d.learners} labs={d.labs} lessonsTotal={d.lessonsTotal} asOf={d.asOf} />

      <section className="stack" aria-labelledby="class-h">
        <h2 id="class-h">The class by course part</h2>
        <CohortCharts view={d.classView} learners={d.learners.length} />
        <div className="grid-2">
          <section className="card" aria-labelledby="missed-h">
            <h3 id="missed-h">Quiz questions missed most</h3>
            {d.classView.missedNodes.length === 0 ? (
              <p className="muted">No quiz question missed yet.</p>
            ) : (
              <ol className="missed-list">
                {d.classView.missedNodes.map((m) => (
                  <li key={`${m.quizId}:${m.nodeId}`}>
                    <strong>{m.quizTitle}</strong>: {m.prompt}{' '}
                    <span className="muted">
                      — {m.learners} learner{m.learners === 1 ? '' : 's'}, {m.misses} miss{m.misses === 1 ? '' : 'es'}
                    </span>
                  </li>
                ))}
              </ol>
            )}
          </section>
          <section className="card" aria-labelledby="tasks-h">
            <h3 id="tasks-h">Lab tasks that fail most</h3>
            {d.classView.labs.every((l) => l.tasks.length === 0) ? (
              <p className="muted">No failed Checks yet.</p>
            ) : (
              <ul className="missed-list">
                {d.classView.labs.flatMap((l) =>
                  l.tasks.slice(0, 3).map((t) => (
                    <li key={`${l.labId}:${t.taskId}`}>
                      <strong>{l.title}</strong>: {t.title}{' '}
                      <span className="muted">
                        — failed {t.failedChecks} Check{t.failedChecks === 1 ? '' : 's'} by {t.learnersFailing} learner
                        {t.learnersFailing === 1 ? '' : 's'}
                      </span>
                    </li>
                  )),
                )}
              </ul>
            )}
          </section>
        </div>
      </section>
    </div>
  );
}
