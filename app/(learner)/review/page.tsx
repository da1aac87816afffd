import type { Metadata } from 'next';

export const metadata: Metadata = { title: 'Review' };

export default function ReviewPage() {
  return (
    <div className="stack">
      <h1>Review</h1>
      <p className="notice" role="status">
        Daily review of flashcards on an FSRS schedule — space to show the answer, 1–4 to rate — is not built yet. Cards you collect by
        reading lessons will be waiting here when it is.
      </p>
    </div>
  );
}
