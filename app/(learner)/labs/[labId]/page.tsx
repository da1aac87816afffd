import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { LabWorkbench } from '@/app/components/LabWorkbench';
import { RefreshWhile } from '@/app/components/RefreshWhile';
import { requireViewerForPage } from '@/lib/auth';
import { renderInline, renderMarkdown } from '@/lib/content/render';
import { LabIdSchema, labsPreparing, labsUnavailableReason, listLabSessions, listLabs } from '@/lib/labs';

type Params = { params: Promise<{ labId: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { labId } = await params;
  return { title: listLabs().find((l) => l.id === labId)?.title ?? 'Lab' };
}

export default async function LabPage({ params }: Params) {
  const viewer = await requireViewerForPage();
  const id = LabIdSchema.safeParse((await params).labId);
  const lab = id.success ? listLabs().find((l) => l.id === id.data) : undefined;
  if (!lab) notFound();
  const [unavailable, preparing] = await Promise.all([labsUnavailableReason(), labsPreparing()]);
  const sessions = unavailable ? [] : await listLabSessions(viewer.id);
  const running = sessions.find((s) => s.labId === lab.id && s.state !== 'ended') ?? null;
  return (
    <div className="stack">
      <RefreshWhile active={preparing} />
      <div>
        <p className="muted crumbs">
          <Link href="/labs">Labs</Link>
        </p>
        <h1>{lab.title}</h1>
      </div>
      <div className="lab-layout">
        {lab.brief && (
          // biome-ignore lint/security/noDangerouslySetInnerHtml: renderMarkdown escapes raw HTML and unsafe URLs
          <div className="prose lab-brief" dangerouslySetInnerHTML={{ __html: renderMarkdown(lab.brief) }} />
        )}
        {unavailable ? (
          <p className="notice" role="status" data-testid="labs-unavailable">
            {unavailable}
          </p>
        ) : (
          <LabWorkbench
            labId={lab.id}
            arches={lab.arches}
            initial={running}
            // Hints are Markdown (inline code for commands), rendered here like the brief.
            tasks={lab.tasks.map((t) => ({ id: t.id, title: t.title, answer: t.answer, hintsHtml: t.hints.map(renderInline) }))}
          />
        )}
      </div>
    </div>
  );
}
