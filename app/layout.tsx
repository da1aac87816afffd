import type { Metadata, Viewport } from 'next';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import '@fontsource/jetbrains-mono/400.css';
import '@fontsource/jetbrains-mono/700.css';
import { NONCE_HEADER } from '@/lib/http/security-headers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Kernel Map', template: '%s · Kernel Map' },
  description: 'Learn how Linux really works under your code: lessons, spaced review, decision-tree quizzes and real VM labs.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#f7f7f4' },
    { media: '(prefers-color-scheme: dark)', color: '#131517' },
  ],
};

// Applies the saved theme before first paint so a dark-mode reader never sees a white flash.
const themeScript = `try{var t=localStorage.getItem('km-theme');if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}catch(e){}`;

// Every page is rendered per request: its scripts carry this request's CSP nonce (proxy.ts).
export default async function RootLayout({ children }: { children: ReactNode }) {
  const nonce = (await headers()).get(NONCE_HEADER) ?? undefined;
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a fixed inline script, no user data */}
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
