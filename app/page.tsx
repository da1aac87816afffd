import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { ThemeToggle } from '@/app/components/ThemeToggle';
import { canViewInstructorArea, currentViewer } from '@/lib/auth';
import { type CourseCard, type CourseQuiz, renderMarkdown } from '@/lib/content';
import { getCourse } from '@/lib/course';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: { absolute: 'Kernel Map — how Linux really works under your code' } };

/**
 * `/`: signed-in visitors go to their home (an instructor to the instructor area, a learner to
 * Today); everyone else gets the landing page, whose previews are the course's own first card and
 * first quiz question, so what a visitor sees is exactly what a learner meets.
 */
export default async function Home() {
  const viewer = await currentViewer();
  if (viewer) redirect(canViewInstructorArea(viewer) ? '/instructor' : '/today');
  const course = getCourse();
  const card = course.cards.find((c): c is CourseCard & { type: 'qa' } => c.type === 'qa');
  const quiz: CourseQuiz | undefined = course.quizzes[0];
  const question = quiz?.nodes.find((n) => n.id === quiz.start);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="shell-header">
        <div className="shell-bar">
          <Link href="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              KM
            </span>
            Kernel Map
          </Link>
          <div className="user-menu landing-actions">
            <ThemeToggle />
            <Link className="btn btn-small" href="/sign-in">
              Sign in
            </Link>
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="landing">
        <section className="landing-hero" aria-labelledby="landing-title">
          <h1 id="landing-title">Learn how Linux really works under your code</h1>
          <p className="page-lead">
            Kernel Map is a course for application developers: why a write is not yet on disk, where the memory went, what makes a service
            slow. {course.lessons.length} short lessons, {course.cards.length} flashcards and {course.quizzes.length} decision-tree quizzes,
            plus labs in real Linux VMs you drive from the browser.
          </p>
          <div className="landing-cta">
            <Link className="btn btn-primary" href="/sign-up">
              Create a free account
            </Link>
            <Link className="btn" href="/sign-in">
              Sign in
            </Link>
          </div>
        </section>

        <section aria-labelledby="what-you-do">
          <h2 id="what-you-do">What you do here</h2>
          <ol className="landing-steps">
            <li className="card">
              <h3>Read a lesson</h3>
              <p className="muted">One part of the map at a time — syscalls, memory, storage, networking, containers, concurrency.</p>
            </li>
            <li className="card">
              <h3>Review a few cards a day</h3>
              <p className="muted">Flashcards on a spaced-repetition schedule (FSRS), rated with the keyboard in a few minutes.</p>
            </li>
            <li className="card">
              <h3>Walk a quiz</h3>
              <p className="muted">Start from a symptom — “the app is slow” — and pick the next tool; a wrong turn tells you why.</p>
            </li>
            <li className="card">
              <h3>Work a lab</h3>
              <p className="muted">Get a shell in your own x86_64 or ARM64 VM within a second, and see what the kernel really does.</p>
            </li>
          </ol>
        </section>

        <section aria-labelledby="preview" className="stack">
          <h2 id="preview">A look inside</h2>
          <div className="landing-previews">
            {card && (
              <figure className="card landing-preview" data-testid="preview-card">
                <figcaption className="muted quiz-progress">A flashcard from the course</figcaption>
                {/* biome-ignore lint/security/noDangerouslySetInnerHtml: renderMarkdown escapes raw HTML and unsafe URLs */}
                <div className="prose" dangerouslySetInnerHTML={{ __html: renderMarkdown(card.front) }} />
                <details>
                  <summary>Show the answer</summary>
                  {/* biome-ignore lint/security/noDangerouslySetInnerHtml: as above */}
                  <div className="prose" dangerouslySetInnerHTML={{ __html: renderMarkdown(card.back) }} />
                </details>
              </figure>
            )}
            {quiz && question && (
              <figure className="card landing-preview" data-testid="preview-quiz">
                <figcaption className="muted quiz-progress">The first question of “{quiz.title}”</figcaption>
                {/* biome-ignore lint/security/noDangerouslySetInnerHtml: as above */}
                <div className="prose" dangerouslySetInnerHTML={{ __html: renderMarkdown(question.prompt) }} />
                {question.evidence && (
                  // Focusable so a keyboard can scroll its long lines (axe: scrollable-region-focusable).
                  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
                  <pre className="quiz-evidence" tabIndex={0}>
                    {question.evidence}
                  </pre>
                )}
                <p className="muted">Sign in to pick your answer.</p>
              </figure>
            )}
          </div>
        </section>
      </main>
    </>
  );
}
