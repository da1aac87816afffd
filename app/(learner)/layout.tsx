import Link from 'next/link';
import type { ReactNode } from 'react';
import { type NavItem, ShellNav } from '@/app/components/ShellNav';
import { SignOutButton } from '@/app/components/SignOutButton';
import { ThemeToggle } from '@/app/components/ThemeToggle';
import { canAdminister, canViewInstructorArea, requireViewerForPage } from '@/lib/auth';

export const dynamic = 'force-dynamic';

const LEARNER_NAV: NavItem[] = [
  { href: '/today', label: 'Today', key: 't' },
  { href: '/learn', label: 'Learn', key: 'l' },
  { href: '/review', label: 'Review', key: 'r' },
  { href: '/quizzes', label: 'Quizzes', key: 'q' },
  { href: '/labs', label: 'Labs', key: 'b' },
];

export default async function LearnerLayout({ children }: { children: ReactNode }) {
  const viewer = await requireViewerForPage();
  const nav = [
    ...LEARNER_NAV,
    ...(canViewInstructorArea(viewer) ? [{ href: '/instructor', label: 'Instructor', key: 'i' }] : []),
    ...(canAdminister(viewer) ? [{ href: '/admin', label: 'Admin', key: 'a' }] : []),
  ];
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="shell-header">
        <div className="shell-bar">
          <Link href="/today" className="brand">
            <span className="brand-mark" aria-hidden="true">
              KM
            </span>
            Kernel Map
          </Link>
          <ShellNav items={nav} />
          <div className="user-menu">
            <span className="user-name" data-testid="user-name" title={viewer.name}>
              {viewer.name}
            </span>
            {viewer.role !== 'student' && <span className="badge">{viewer.role}</span>}
            <ThemeToggle />
            <SignOutButton />
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
