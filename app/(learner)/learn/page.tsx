import type { Metadata } from 'next';

export const metadata: Metadata = { title: 'Learn' };

export default function LearnPage() {
  return (
    <div className="stack">
      <h1>Learn</h1>
      <p className="notice" role="status">
        Lessons are not loaded on this server yet.
      </p>
    </div>
  );
}
