import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { AuthForm } from '@/app/components/AuthForm';
import { currentViewer } from '@/lib/auth';
import { safeNextPath } from '@/lib/http/next-path';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNextPath((await searchParams).next);
  if (await currentViewer()) redirect(next);
  return (
    <main className="auth-wrap">
      <div className="card auth-card">
        <h1>Sign in</h1>
        <p className="muted">Kernel Map — how Linux really works under your code.</p>
        <AuthForm mode="sign-in" next={next} />
        <p className="muted">
          New here? <Link href={`/sign-up?next=${encodeURIComponent(next)}`}>Create an account</Link>
        </p>
      </div>
    </main>
  );
}
