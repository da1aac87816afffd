import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { QuizPlayer } from '@/app/components/QuizPlayer';
import { requireViewerForPage } from '@/lib/auth';
import { idSchema } from '@/lib/content';
import { getCourse } from '@/lib/course';
import { findOpenAttempt, treeProgress } from '@/lib/quiz';

type Params = { params: Promise<{ quizId: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { quizId } = await params;
  return { title: getCourse().quizzes.find((q) => q.id === quizId)?.title ?? 'Quiz' };
}

export default async function QuizPage({ params }: Params) {
  const viewer = await requireViewerForPage();
  const id = idSchema.safeParse((await params).quizId);
  const quiz = id.success ? getCourse().quizzes.find((q) => q.id === id.data) : undefined;
  if (!quiz) notFound();
  const [open, tree] = await Promise.all([findOpenAttempt(viewer.id, quiz.id), treeProgress(viewer.id, quiz)]);
  return (
    <div className="stack quiz-page">
      <div>
        <p className="muted crumbs">
          <Link href="/quizzes">Quizzes</Link>
        </p>
        <h1>{quiz.title}</h1>
        <p className="page-lead">{quiz.summary}</p>
      </div>
      <QuizPlayer quizId={quiz.id} initial={open} initialTree={tree} />
    </div>
  );
}
