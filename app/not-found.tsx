import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="auth-wrap">
      <div className="card auth-card">
        <h1>Page not found</h1>
        <p className="muted">There is nothing at this address.</p>
        <Link className="btn" href="/today">
          Go to Today
        </Link>
      </div>
    </main>
  );
}
