import type { Metadata } from 'next';

export const metadata: Metadata = { title: 'Labs' };

export default function LabsPage() {
  return (
    <div className="stack">
      <h1>Labs</h1>
      <p className="notice" role="status">
        Graded labs in real x86_64 and ARM64 Linux VMs, in your browser, are not built yet.
      </p>
    </div>
  );
}
