'use client';

import { useEffect, useState } from 'react';

type Theme = 'light' | 'dark';

/** The theme the page shows now: the reader's choice (data-theme) or else the system's. */
function shownTheme(): Theme {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/**
 * Switches between light and dark, starting from what the page shows (the system's theme until the
 * reader chooses), so every click visibly changes the page. The choice is kept in localStorage and
 * applied before first paint (app/layout.tsx).
 */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme | null>(null);
  useEffect(() => setTheme(shownTheme()), []);
  function toggle() {
    const next: Theme = shownTheme() === 'dark' ? 'light' : 'dark';
    localStorage.setItem('km-theme', next);
    document.documentElement.dataset.theme = next;
    setTheme(next);
  }
  const target = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="btn btn-small"
      onClick={toggle}
      aria-label={`Switch to ${target} theme`}
      title={`Switch to ${target} theme`}
    >
      <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span>
    </button>
  );
}
