import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { MarkReadButton } from '@/app/components/MarkReadButton';
import { requireViewerForPage } from '@/lib/auth';
import { idSchema } from '@/lib/content';
import { getCourse, getLessonForReader } from '@/lib/course';

type Params = { params: Promise<{ lessonId: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { lessonId } = await params;
  return { title: getCourse().lessons.find((l) => l.id === lessonId)?.title ?? 'Lesson' };
}

export default async function LessonPage({ params }: Params) {
  const viewer = await requireViewerForPage();
  const id = idSchema.safeParse((await params).lessonId);
  if (!id.success || !getCourse().lessons.some((l) => l.id === id.data)) notFound();
  const r = await getLessonForReader(viewer.id, id.data);
  return (
    <div className="lesson-layout">
      <nav className="toc" aria-label="On this page">
        <p className="toc-title">On this page</p>
        <ol>
          {r.toc.map((h) => (
            <li key={h.anchor}>
              <a href={`#${h.anchor}`}>{h.text}</a>
            </li>
          ))}
        </ol>
      </nav>
      <article className="lesson">
        <p className="muted crumbs">
          <Link href="/learn">Learn</Link> / {r.partTitle}
        </p>
        <h1>{r.lesson.title}</h1>
        <p className="page-lead">
          {r.lesson.summary}{' '}
          <span className="muted">
            · {r.lesson.minutes} min · {r.cardCount} cards
          </span>
        </p>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: renderMarkdown escapes raw HTML and unsafe URLs (lib/content/render.ts) */}
        <div className="prose" dangerouslySetInnerHTML={{ __html: r.html }} />
        <footer className="lesson-footer">
          <MarkReadButton
            lessonId={r.lesson.id}
            initiallyRead={r.readAt !== null}
            cardsInQueue={r.cardsInQueue}
            hint={
              r.cardIntroduction === 'on-read'
                ? `Marking the lesson read puts its ${r.cardCount} cards into your review queue.`
                : 'Your setting puts every card in your queue; marking read records your progress.'
            }
          />
          <div className="lesson-nav">
            {r.previous ? (
              <Link className="btn" href={`/learn/${r.previous.id}`} rel="prev">
                ← {r.previous.title}
              </Link>
            ) : (
              <span />
            )}
            {r.next && (
              <Link className="btn" href={`/learn/${r.next.id}`} rel="next">
                {r.next.title} →
              </Link>
            )}
          </div>
        </footer>
      </article>
    </div>
  );
}
