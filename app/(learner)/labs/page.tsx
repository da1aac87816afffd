import type { Metadata } from 'next';
import Link from 'next/link';
import { RefreshWhile } from '@/app/components/RefreshWhile';
import { requireViewerForPage } from '@/lib/auth';
import { labsPreparing, labsUnavailableReason, listLabs } from '@/lib/labs';

export const metadata: Metadata = { title: 'Labs' };

export default async function LabsPage() {
  await requireViewerForPage();
  const [labs, unavailable, preparing] = await Promise.all([Promise.resolve(listLabs()), labsUnavailableReason(), labsPreparing()]);
  return (
    <div className="stack">
      <RefreshWhile active={preparing} />
      <div>
        <h1>Labs</h1>
        <p className="page-lead">
          Real Linux VMs — x86_64 and ARM64 — in your browser. Each session is yours alone, has no network, and is reset on demand.
        </p>
      </div>
      {unavailable && (
        <p className="notice" role="status" data-testid="labs-unavailable">
          {unavailable}
        </p>
      )}
      <p className="notice">Graded labs (tasks checked against perf and /proc output) are not built yet. The VM sandbox below is.</p>
      <ul className="lesson-list">
        {labs.map((l) => (
          <li key={l.id}>
            <Link href={`/labs/${l.id}`} className="lesson-link">
              <span className="lesson-title">{l.title}</span>
              <span className="muted lesson-meta">{l.arches.join(' · ')}</span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
