import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { AuthForm } from '@/app/components/AuthForm';
import { currentViewer } from '@/lib/auth';
import { safeNextPath } from '@/lib/http/next-path';

export const metadata: Metadata = { title: 'Create an account' };

export default async function SignUpPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNextPath((await searchParams).next);
  if (await currentViewer()) redirect(next);
  return (
    <main className="auth-wrap">
      <div className="card auth-card">
        <h1>Create your account</h1>
        <p className="muted">Lessons, daily review and real Linux labs, in one place.</p>
        <AuthForm mode="sign-up" next={next} />
        <p className="muted">
          Already have an account? <Link href={`/sign-in?next=${encodeURIComponent(next)}`}>Sign in</Link>
        </p>
      </div>
    </main>
  );
}
