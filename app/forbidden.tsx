import Link from 'next/link';

export default function Forbidden() {
  return (
    <main className="auth-wrap">
      <div className="card auth-card">
        <h1>Not for your account</h1>
        <p className="muted">This area is for instructors. If you teach a cohort, ask an admin to give your account the instructor role.</p>
        <Link className="btn" href="/today">
          Back to Today
        </Link>
      </div>
    </main>
  );
}
