import type { Metadata } from 'next';
import Link from 'next/link';
import { forbidden } from 'next/navigation';
import { CohortForm } from '@/app/components/CohortForm';
import { canViewInstructorArea, requireViewerForPage } from '@/lib/auth';
import { gradableItems } from '@/lib/cohorts';

export const metadata: Metadata = { title: 'New cohort' };

export default async function NewCohortPage() {
  const viewer = await requireViewerForPage();
  if (!canViewInstructorArea(viewer)) forbidden();
  const options = gradableItems().map(({ kind, itemId, title }) => ({ kind, itemId, title }));
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>New cohort</h1>
          <p className="page-lead">Name the class, choose what is graded and when it is due; learners join with the code you get next.</p>
        </div>
        <Link href="/instructor" className="btn">
          Back
        </Link>
      </div>
      <CohortForm options={options} />
    </div>
  );
}
