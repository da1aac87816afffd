'use client';

import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';

export interface NavItem {
  href: string;
  label: string;
  /** Key pressed after "g" to go there (g t → Today). */
  key: string;
}

/** Primary navigation: marks the current page and adds "g then key" shortcuts (press ? for help). */
export function ShellNav({ items }: { items: NavItem[] }) {
  const pathname = usePathname();
  const router = useRouter();
  const [helpOpen, setHelpOpen] = useState(false);
  /** Set by a "g" shortcut: once the new page is shown, its main heading gets the focus. */
  const focusHeadingAfterNav = useRef(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on purpose when the path changes
  useEffect(() => {
    if (!focusHeadingAfterNav.current) return;
    focusHeadingAfterNav.current = false;
    // The new page's heading may commit a frame after the path changes; look for a little while.
    let tries = 0;
    let frame = 0;
    const focusHeading = () => {
      const h1 = document.querySelector<HTMLElement>('main h1');
      if (h1) {
        h1.tabIndex = -1;
        h1.focus();
      } else if (tries++ < 60) frame = requestAnimationFrame(focusHeading);
    };
    frame = requestAnimationFrame(focusHeading);
    return () => cancelAnimationFrame(frame);
  }, [pathname]);

  useEffect(() => {
    let pendingG = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    function onKey(e: KeyboardEvent) {
      // A page with its own keys (the Review page) handles them first and marks them handled.
      if (e.defaultPrevented) return;
      const t = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) || t.closest('.xterm'))) return;
      if (e.key === 'Escape') setHelpOpen(false);
      if (e.key === '?') {
        setHelpOpen((o) => !o);
        return;
      }
      if (pendingG) {
        pendingG = false;
        const item = items.find((i) => i.key === e.key);
        if (item) {
          e.preventDefault();
          if (pathname === item.href) return;
          focusHeadingAfterNav.current = true;
          router.push(item.href);
        }
        return;
      }
      if (e.key === 'g') {
        pendingG = true;
        clearTimeout(timer);
        timer = setTimeout(() => {
          pendingG = false;
        }, 1200);
      }
    }
    window.addEventListener('keydown', onKey);
    // The page is server-rendered and visible a moment before these keys work: say when they do.
    document.documentElement.dataset.shortcuts = 'ready';
    return () => {
      window.removeEventListener('keydown', onKey);
      delete document.documentElement.dataset.shortcuts;
    };
  }, [items, router, pathname]);

  return (
    <>
      <nav className="nav" aria-label="Main">
        {items.map((i) => {
          const current = pathname === i.href || pathname.startsWith(`${i.href}/`);
          return (
            <Link key={i.href} href={i.href} aria-current={current ? 'page' : undefined}>
              {i.label}
            </Link>
          );
        })}
      </nav>
      {helpOpen && (
        <div
          role="dialog"
          aria-modal="false"
          aria-label="Keyboard shortcuts"
          className="card"
          style={{ position: 'fixed', right: '1rem', bottom: '1rem', zIndex: 20, maxWidth: 320 }}
        >
          <h2>Keyboard shortcuts</h2>
          <ul className="muted" style={{ paddingLeft: '1.1rem', margin: '0.5rem 0' }}>
            {items.map((i) => (
              <li key={i.href}>
                <kbd>g</kbd> <kbd>{i.key}</kbd> — {i.label}
              </li>
            ))}
            <li>
              <kbd>?</kbd> — show or hide this help
            </li>
          </ul>
          <button type="button" className="btn btn-small" onClick={() => setHelpOpen(false)}>
            Close
          </button>
        </div>
      )}
    </>
  );
}
