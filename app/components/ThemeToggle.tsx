'use client';

import { useEffect, useState } from 'react';

type Theme = 'system' | 'light' | 'dark';
const NEXT: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };

/** Cycles system → light → dark; the choice is kept in localStorage (applied before paint in layout). */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>('system');
  useEffect(() => {
    const saved = localStorage.getItem('km-theme');
    if (saved === 'light' || saved === 'dark') setTheme(saved);
  }, []);
  function cycle() {
    const next = NEXT[theme];
    setTheme(next);
    if (next === 'system') {
      localStorage.removeItem('km-theme');
      delete document.documentElement.dataset.theme;
    } else {
      localStorage.setItem('km-theme', next);
      document.documentElement.dataset.theme = next;
    }
  }
  return (
    <button type="button" className="btn btn-small" onClick={cycle} aria-label={`Theme: ${theme}. Change theme`}>
      {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
    </button>
  );
}
