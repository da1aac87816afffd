/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  typedRoutes: false,
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
