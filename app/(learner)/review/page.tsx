import type { Metadata } from 'next';
import Link from 'next/link';
import { z } from 'zod';
import { Reviewer } from '@/app/components/Reviewer';
import { ReviewSettingsForm } from '@/app/components/ReviewSettingsForm';
import { UnsuspendButton } from '@/app/components/UnsuspendButton';
import { requireViewerForPage } from '@/lib/auth';
import { getCourse } from '@/lib/course';
import { getReviewSession } from '@/lib/review';
import { listSetAsideCards } from '@/lib/srs';

export const metadata: Metadata = { title: 'Review' };

/** `?cards=a,b,c` (from a quiz's end screen): these cards, when due, are reviewed first. */
const firstCardsParam = z
  .string()
  .max(2000)
  .transform((s) => s.split(',').filter(Boolean))
  .pipe(z.array(z.string().regex(/^[a-z0-9-]{1,48}$/)).max(50));

export default async function ReviewPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const viewer = await requireViewerForPage();
  const [loaded, setAside] = await Promise.all([getReviewSession(viewer.id, new Date()), listSetAsideCards(viewer.id)]);
  const asked = firstCardsParam.safeParse((await searchParams).cards);
  const first = new Set(asked.success ? asked.data : []);
  const session =
    first.size === 0
      ? loaded
      : { ...loaded, cards: [...loaded.cards.filter((c) => first.has(c.cardId)), ...loaded.cards.filter((c) => !first.has(c.cardId))] };
  const firstDue = loaded.cards.filter((c) => first.has(c.cardId)).length;
  const lessons = new Map(getCourse().lessons.map((l) => [l.id, l.title]));
  const { fsrsParameters: _weights, ...editable } = session.settings;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Review</h1>
          <p className="page-lead">
            <span data-testid="queue-size">{session.inQueue}</span> cards in your queue,{' '}
            <span data-testid="queue-due">{session.dueNow}</span> due now. Today ({session.day.date}): {session.doneToday} reviewed so far.{' '}
            {session.buried > 0 && `${session.buried} sibling card${session.buried === 1 ? '' : 's'} wait until tomorrow.`}
          </p>
        </div>
        <Link href="/review/stats" className="btn">
          Stats and export
        </Link>
      </div>
      {first.size > 0 && (
        <p className="notice" data-testid="review-first">
          {firstDue === 0
            ? 'The cards your quiz walk brought back are not due any more: you have reviewed them.'
            : `First: the ${firstDue === 1 ? 'card' : `${firstDue} cards`} your quiz walk brought back${
                firstDue < first.size ? ` (${first.size - firstDue} of them already reviewed)` : ''
              }.`}
        </p>
      )}
      <Reviewer session={session} userId={viewer.id} />
      {setAside.length > 0 && (
        <section aria-labelledby="set-aside">
          <h2 id="set-aside">Set aside</h2>
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Suspended cards and leeches</caption>
              <thead>
                <tr>
                  <th scope="col">Card</th>
                  <th scope="col">Why</th>
                  <th scope="col">Re-read</th>
                  <th scope="col">
                    <span className="sr-only">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {setAside.map((c) => (
                  <tr key={c.cardId}>
                    <td>{c.cardId}</td>
                    <td>{[c.leech ? `leech (${c.lapses} lapses)` : '', c.suspended ? 'suspended' : ''].filter(Boolean).join(', ')}</td>
                    <td>
                      <Link href={`/learn/${c.lessonId}#${c.anchor}`}>{lessons.get(c.lessonId) ?? c.lessonId}</Link>
                    </td>
                    <td>{c.suspended && <UnsuspendButton cardId={c.cardId} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      <details className="card">
        <summary>
          <h2 className="inline-h2">Review settings</h2>
        </summary>
        <ReviewSettingsForm initial={editable} />
      </details>
    </div>
  );
}
