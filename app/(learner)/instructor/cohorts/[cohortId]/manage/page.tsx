import type { Metadata } from 'next';
import Link from 'next/link';
import { forbidden, notFound } from 'next/navigation';
import { CohortForm } from '@/app/components/CohortForm';
import { JoinCodePanel } from '@/app/components/JoinCodePanel';
import { MemberList } from '@/app/components/MemberList';
import { canViewInstructorArea, requireViewerForPage } from '@/lib/auth';
import { CohortIdSchema, getCohort, gradableItems } from '@/lib/cohorts';
import { AppError } from '@/lib/errors';

export const metadata: Metadata = { title: 'Manage cohort' };

export default async function ManageCohortPage({ params }: { params: Promise<{ cohortId: string }> }) {
  const viewer = await requireViewerForPage();
  if (!canViewInstructorArea(viewer)) forbidden();
  const id = CohortIdSchema.safeParse((await params).cohortId);
  if (!id.success) notFound();
  const cohort = await getCohort(viewer, id.data).catch((e: unknown) => {
    if (e instanceof AppError && e.code === 'not_found') notFound();
    throw e;
  });
  const options = gradableItems().map(({ kind, itemId, title }) => ({ kind, itemId, title }));
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Manage {cohort.name}</h1>
          <p className="page-lead">
            {cohort.members.length} member{cohort.members.length === 1 ? '' : 's'} · run by {cohort.ownerName}
          </p>
        </div>
        <Link href={`/instructor/cohorts/${cohort.id}`} className="btn">
          Dashboard
        </Link>
      </div>
      <JoinCodePanel cohortId={cohort.id} code={cohort.joinCode} expiresAt={cohort.joinCodeExpiresAt} />
      <section className="stack" aria-labelledby="members-h">
        <h2 id="members-h">Members</h2>
        <MemberList cohortId={cohort.id} members={cohort.members} />
      </section>
      <h2>Settings</h2>
      <CohortForm
        options={options}
        cohortId={cohort.id}
        initial={{
          name: cohort.name,
          startsAt: cohort.startsAt,
          endsAt: cohort.endsAt,
          latePenaltyPerDay: cohort.lateRule.perDay,
          latePenaltyMax: cohort.lateRule.max,
          items: cohort.items.map((i) => ({ kind: i.kind, itemId: i.itemId, points: i.points, dueAt: i.dueAt.toISOString() })),
        }}
      />
    </div>
  );
}
