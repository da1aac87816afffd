import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { getDb } from '@/lib/db';
import { env } from '@/lib/env';
import { allowedOrigins } from '@/lib/http/origin';
import { SESSION_COOKIE_PREFIX } from './cookie';

/**
 * better-auth does the security-critical parts: scrypt password hashing (N=2^14, r=16: 32 MiB per
 * hash, memory-hard), database-backed sessions, signed httpOnly SameSite=Lax cookies. We call it
 * only through lib/auth (accounts.ts, session.ts) so our own validation, rate limiting, origin
 * checks and error mapping sit in front of it. Its own rate limiter is off: ours is per address
 * AND per account and lives in the database (shared by several web nodes).
 */

function createAuth() {
  const e = env();
  return betterAuth({
    appName: 'Kernel Map',
    secret: e.AUTH_SECRET,
    database: prismaAdapter(getDb(), { provider: e.dbProvider }),
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 10,
      maxPasswordLength: 128,
      autoSignIn: true,
    },
    user: {
      additionalFields: {
        role: { type: 'string', required: false, defaultValue: 'student', input: false },
      },
    },
    session: {
      expiresIn: 60 * 60 * 24 * 14,
      updateAge: 60 * 60 * 24,
    },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    // Its warnings (no fixed base URL: we derive it per request; "invalid password") are expected.
    logger: { level: 'error' },
    trustedOrigins: (request) => (request ? allowedOrigins(request) : []),
    advanced: {
      cookiePrefix: SESSION_COOKIE_PREFIX,
      defaultCookieAttributes: { sameSite: 'lax', httpOnly: true },
    },
  });
}

type Auth = ReturnType<typeof createAuth>;
const globalForAuth = globalThis as unknown as { kernelMapAuth?: Auth };

export function getAuth(): Auth {
  globalForAuth.kernelMapAuth ??= createAuth();
  return globalForAuth.kernelMapAuth;
}
