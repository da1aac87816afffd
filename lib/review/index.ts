import Papa from 'papaparse';
import { type Course, type CourseCard, renderCloze, renderMarkdown } from '@/lib/content';
import { getCourse } from '@/lib/course';
import { getDb } from '@/lib/db';
import { type LoadedQueue, loadDailyQueue, type QueueEntry, type ReviewInput, type ReviewResult, recordReviewAndUpcoming } from '@/lib/srs';

/**
 * Daily review as the learner meets it: lib/srs's queue and review service joined with the
 * course content (card faces, lesson titles), plus the exports. lib/srs knows memory and dates;
 * this module knows what a card says.
 */

export type CardType = CourseCard['type'];

/** A queue entry with what the Review page shows: both faces as HTML, the lesson to re-read. */
export interface ReviewCard extends QueueEntry {
  type: CardType;
  frontHtml: string;
  backHtml: string;
  lessonTitle: string;
  tags: string[];
}

export interface ReviewSession extends Omit<LoadedQueue, 'entries'> {
  cards: ReviewCard[];
}

const faceCache = new Map<string, { frontHtml: string; backHtml: string }>();

/** Both faces of a card as HTML: a cloze shows blanks then answers, other types front then back. */
export function renderCardFaces(card: CourseCard): { frontHtml: string; backHtml: string } {
  const key = `${card.id}:${card.contentHash}`;
  let faces = faceCache.get(key);
  if (!faces) {
    faces =
      card.type === 'cloze'
        ? {
            frontHtml: renderCloze(card.text, false),
            backHtml: renderCloze(card.text, true) + (card.back ? renderMarkdown(card.back) : ''),
          }
        : { frontHtml: renderMarkdown(card.front), backHtml: renderMarkdown(card.back) };
    faceCache.set(key, faces);
  }
  return faces;
}

/** The course's cards and lesson titles by id, built once per loaded course (not per request). */
const courseIndex = new WeakMap<Course, { cards: Map<string, CourseCard>; lessons: Map<string, string> }>();

function indexOf(course: Course) {
  let index = courseIndex.get(course);
  if (!index) {
    index = { cards: new Map(course.cards.map((c) => [c.id, c])), lessons: new Map(course.lessons.map((l) => [l.id, l.title])) };
    courseIndex.set(course, index);
  }
  return index;
}

function withContent(entries: readonly QueueEntry[]): ReviewCard[] {
  const { cards, lessons } = indexOf(getCourse());
  const out: ReviewCard[] = [];
  for (const e of entries) {
    const c = cards.get(e.cardId);
    if (!c) continue; // retired between sync and now: never shown
    out.push({ ...e, type: c.type, ...renderCardFaces(c), lessonTitle: lessons.get(e.lessonId) ?? e.lessonId, tags: c.tags ?? [] });
  }
  return out;
}

/** Everything the Review page needs to start: the whole day's queue with card faces. */
export async function getReviewSession(userId: string, now: Date): Promise<ReviewSession> {
  const { entries, ...rest } = await loadDailyQueue(userId, now);
  return { ...rest, cards: withContent(entries) };
}

/** How many upcoming cards a rating answer carries, so the client never runs dry. */
const NEXT_CARDS = 10;

/**
 * "Rate this card, give me the next ones": applies the rating (idempotent by client id) and
 * answers with the learning/review cards due next (one indexed read — the page already holds the
 * day's queue; this only tops it up with cards that became due elsewhere).
 */
export async function rateAndContinue(
  userId: string,
  input: ReviewInput,
  now: Date,
): Promise<{ review: ReviewResult; next: ReviewCard[] }> {
  const { review, upcoming } = await recordReviewAndUpcoming(userId, input, now, NEXT_CARDS);
  return { review, next: withContent(upcoming) };
}

// ── Export ──────────────────────────────────────────────────────────────────────────────────

const STATE_NAMES = ['new', 'learning', 'review', 'relearning'];
const RATING_NAMES = ['manual', 'again', 'hard', 'good', 'easy'];

function plainText(card: CourseCard): { front: string; back: string } {
  if (card.type === 'cloze')
    return {
      front: card.text.replace(/\{\{(.+?)\}\}/gs, '[…]'),
      back: card.text.replace(/\{\{(.+?)\}\}/gs, '$1') + (card.back ? `\n\n${card.back}` : ''),
    };
  return { front: card.front, back: card.back };
}

/** The learner's cards with their FSRS state, as CSV (one row per card in their queue). */
export async function exportCardsCsv(userId: string): Promise<string> {
  const rows = await getDb().cardState.findMany({ where: { userId }, orderBy: { cardId: 'asc' } });
  const cards = new Map(getCourse().cards.map((c) => [c.id, c]));
  return Papa.unparse(
    rows.map((r) => {
      const c = cards.get(r.cardId);
      const text = c ? plainText(c) : { front: '', back: '' };
      return {
        card_id: r.cardId,
        type: c?.type ?? '',
        front: text.front,
        back: text.back,
        state: STATE_NAMES[r.state] ?? String(r.state),
        due: r.due.toISOString(),
        stability: r.stability,
        difficulty: r.difficulty,
        reps: r.reps,
        lapses: r.lapses,
        last_review: r.lastReview?.toISOString() ?? '',
        suspended: r.suspendedAt !== null,
        leech: r.leech,
        introduced_at: r.introducedAt.toISOString(),
      };
    }),
  );
}

/** The full review log as CSV, oldest first (the columns FSRS optimisers read, plus ours). */
export async function exportReviewLogCsv(userId: string): Promise<string> {
  const rows = await getDb().reviewLog.findMany({ where: { userId }, orderBy: [{ reviewedAt: 'asc' }, { id: 'asc' }] });
  return Papa.unparse(
    rows.map((r) => ({
      review_id: r.clientReviewId,
      card_id: r.cardId,
      reviewed_at: r.reviewedAt.toISOString(),
      review_time_ms: r.reviewedAt.getTime(),
      rating: r.rating,
      rating_name: RATING_NAMES[r.rating] ?? '',
      state_before: STATE_NAMES[r.state] ?? String(r.state),
      due_before: r.due.toISOString(),
      stability_before: r.stability,
      difficulty_before: r.difficulty,
      elapsed_days: r.elapsedDays,
      scheduled_days: r.scheduledDays,
      duration_ms: r.durationMs ?? '',
    })),
  );
}

/**
 * The learner's cards as a text file Anki imports (File → Import): tab-separated front, back,
 * tags, with Anki's `#separator`/`#html`/`#tags column` header lines. Faces are HTML, as Anki
 * stores them.
 */
export async function exportAnkiText(userId: string): Promise<string> {
  const rows = await getDb().cardState.findMany({ where: { userId }, select: { cardId: true }, orderBy: { cardId: 'asc' } });
  const cards = new Map(getCourse().cards.map((c) => [c.id, c]));
  const data: string[][] = [];
  for (const r of rows) {
    const c = cards.get(r.cardId);
    if (!c) continue;
    const faces = renderCardFaces(c);
    const tags = ['kernel-map', c.part, c.section, ...(c.tags ?? [])].join(' ');
    data.push([faces.frontHtml.trim(), faces.backHtml.trim(), tags]);
  }
  const body = Papa.unparse(data, { delimiter: '\t', newline: '\n', quotes: true });
  return `#separator:tab\n#html:true\n#tags column:3\n${body}\n`;
}
