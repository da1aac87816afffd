/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  typedRoutes: false,
  // The FSRS optimiser is a prebuilt native module: load it from node_modules at run time.
  serverExternalPackages: ['@open-spaced-repetition/binding'],
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
