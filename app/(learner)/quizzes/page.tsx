import type { Metadata } from 'next';

export const metadata: Metadata = { title: 'Quizzes' };

export default function QuizzesPage() {
  return (
    <div className="stack">
      <h1>Quizzes</h1>
      <p className="notice" role="status">
        Decision-tree quizzes ("Slow app? → PSI → …") are not built yet.
      </p>
    </div>
  );
}
