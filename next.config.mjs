/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  typedRoutes: false,
  // The FSRS optimiser is a prebuilt native module: load it from node_modules at run time.
  serverExternalPackages: ['@open-spaced-repetition/binding'],
  // The server reads lab images, snapshots and the database from .cache/ and data/ at run time
  // (paths built from process.cwd()): none of it belongs in the build's file trace. (The fs calls
  // that made Turbopack trace the whole project carry /*turbopackIgnore: true*/: with lab images
  // built, `next build` read GBs of snapshots, peaked at 12 GB and was OOM-killed on this machine.)
  outputFileTracingExcludes: { '*': ['.cache/**', 'data/**', 'test/**'] },
  // Types are checked once, by `npm run typecheck` (tsc, strict) in `npm test`; checking again
  // inside every `next build` only doubles the build time.
  typescript: { ignoreBuildErrors: true },
  experimental: {
    // forbidden() in pages gives a real 403 (app/forbidden.tsx) instead of a 200 with a message.
    authInterrupts: true,
  },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ];
  },
};

export default nextConfig;
