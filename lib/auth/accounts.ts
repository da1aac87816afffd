import { hashPassword } from 'better-auth/crypto';
import { z } from 'zod';
import { getDb } from '@/lib/db';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { getAuth } from './better-auth';
import { clearAttempts, consumeAttempt, hasLiveWindow, rememberFor } from './rate-limit';
import type { Role } from './roles';
import { forgetViewer } from './session-cache';
import { viewerFromHeaders } from './viewer';

/** Sign-up body. Field rules are shown to the user, so messages are written for people. */
export const signUpSchema = z.object({
  name: z.string().trim().min(1, 'Enter your name').max(80, 'Use at most 80 characters'),
  email: z
    .email('Enter a valid email address')
    .max(254)
    .transform((e) => e.toLowerCase()),
  password: z.string().min(10, 'Use at least 10 characters').max(128, 'Use at most 128 characters'),
});
export type SignUpInput = z.infer<typeof signUpSchema>;

export const signInSchema = z.object({
  email: z
    .email('Enter a valid email address')
    .max(254)
    .transform((e) => e.toLowerCase()),
  password: z.string().min(1, 'Enter your password').max(128, 'Use at most 128 characters'),
});
export type SignInInput = z.infer<typeof signInSchema>;

/** The Set-Cookie headers better-auth produced, for the route to forward. */
export interface AuthOutcome {
  user: { id: string; email: string; name: string };
  setCookies: string[];
}

function setCookiesOf(headers: Headers): string[] {
  return headers.getSetCookie();
}

const DUPLICATE_EMAIL = 'An account with this email already exists. Sign in instead.';

/**
 * Counts one sign-up from `clientIp` (SIGNUP_IP_LIMIT per SIGNUP_WINDOW_SECONDS, in the database
 * like the sign-in limit); throws `rate_limited` with the wait once the address is over.
 */
export async function consumeSignUpAttempt(clientIp: string, now: Date): Promise<void> {
  const { SIGNUP_IP_LIMIT, SIGNUP_WINDOW_SECONDS } = env();
  const v = await consumeAttempt(`signup-ip:${clientIp}`, SIGNUP_IP_LIMIT, SIGNUP_WINDOW_SECONDS, now);
  if (!v.allowed) {
    throw new AppError('rate_limited', `Too many new accounts from your address. Try again in ${v.retryAfterSeconds} s.`, {
      retryAfterSeconds: v.retryAfterSeconds,
    });
  }
}

/**
 * Creates a student account and signs it in, after the per-address sign-up limit. Throws
 * `conflict` when the email is taken — also when another request created it a moment earlier
 * (the unique key decides the race). A duplicate costs the same password hash as a new account,
 * so the answer's timing says no more than its text.
 */
export async function signUp(input: SignUpInput, clientIp: string, requestHeaders: Headers, now: Date): Promise<AuthOutcome> {
  await consumeSignUpAttempt(clientIp, now);
  try {
    const { headers, response } = await getAuth().api.signUpEmail({
      body: { name: input.name, email: input.email, password: input.password },
      headers: requestHeaders,
      returnHeaders: true,
    });
    return { user: pickUser(response.user), setCookies: setCookiesOf(headers) };
  } catch (err) {
    const code = betterAuthError(err)?.code ?? '';
    const duplicate =
      code.startsWith('USER_ALREADY_EXISTS') ||
      // Two sign-ups raced past better-auth's existence check; the unique key refused the second.
      (code === 'FAILED_TO_CREATE_USER' &&
        (await getDb().user.findUnique({ where: { email: input.email }, select: { id: true } })) !== null);
    if (duplicate) {
      if (code.startsWith('USER_ALREADY_EXISTS')) await hashPassword(input.password);
      throw new AppError('conflict', DUPLICATE_EMAIL, { fields: [{ path: 'email', message: 'already registered' }] });
    }
    throw err;
  }
}

/** How long an address the account signed in from stays exempt from the account-wide ceiling. */
const KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600;

/**
 * Signs in, rate limited three ways per SIGNIN_WINDOW_SECONDS, counted before the password is
 * checked (so a guesser learns nothing once limited):
 * - per client address, whatever the account (SIGNIN_IP_LIMIT);
 * - per account *and* address (SIGNIN_LIMIT): a stranger's wrong passwords use up only their own
 *   address's allowance, never the owner's;
 * - per account from everywhere (SIGNIN_ACCOUNT_LIMIT, higher), against guessing from many
 *   addresses; an address the account signed in from in the last 30 days is exempt, so even then
 *   the owner gets in from where they usually do.
 * A successful sign-in restarts the account's counters and remembers the address.
 */
export async function signIn(input: SignInInput, clientIp: string, requestHeaders: Headers, now: Date): Promise<AuthOutcome> {
  const { SIGNIN_LIMIT, SIGNIN_IP_LIMIT, SIGNIN_ACCOUNT_LIMIT, SIGNIN_WINDOW_SECONDS } = env();
  const accountAddress = `acct-ip:${input.email}|${clientIp}`;
  const knownAddress = `known:${input.email}|${clientIp}`;
  const known = await hasLiveWindow(knownAddress, now);
  const verdicts = await Promise.all([
    consumeAttempt(`ip:${clientIp}`, SIGNIN_IP_LIMIT, SIGNIN_WINDOW_SECONDS, now),
    consumeAttempt(accountAddress, SIGNIN_LIMIT, SIGNIN_WINDOW_SECONDS, now),
    ...(known ? [] : [consumeAttempt(`acct:${input.email}`, SIGNIN_ACCOUNT_LIMIT, SIGNIN_WINDOW_SECONDS, now)]),
  ]);
  const wait = Math.max(0, ...verdicts.map((v) => (v.allowed ? 0 : v.retryAfterSeconds)));
  if (wait > 0) {
    throw new AppError('rate_limited', `Too many sign-in attempts. Try again in ${wait} s.`, { retryAfterSeconds: wait });
  }
  try {
    const { headers, response } = await getAuth().api.signInEmail({
      body: { email: input.email, password: input.password },
      headers: requestHeaders,
      returnHeaders: true,
    });
    await Promise.all([clearAttempts(accountAddress), clearAttempts(`acct:${input.email}`)]);
    await rememberFor(knownAddress, KNOWN_ADDRESS_SECONDS, now);
    return { user: pickUser(response.user), setCookies: setCookiesOf(headers) };
  } catch (err) {
    if (betterAuthError(err)?.status === 401) {
      throw new AppError('invalid_credentials', 'That email and password do not match an account.');
    }
    throw err;
  }
}

/**
 * Ends the session in the database and returns the cookie-clearing headers. The session cache
 * forgets the user afterwards (and drops any lookup that was under way), so the old cookie is
 * refused from the next request on.
 */
export async function signOut(requestHeaders: Headers): Promise<string[]> {
  const viewer = await viewerFromHeaders(requestHeaders);
  const { headers } = await getAuth().api.signOut({ headers: requestHeaders, returnHeaders: true });
  if (viewer) forgetViewer(viewer.id);
  return setCookiesOf(headers);
}

/**
 * Creates an account with a given role unless the email exists (then only the role is ensured).
 * Used by the demo seed and by admins; never reachable from sign-up.
 */
export async function ensureAccount(input: SignUpInput & { role: Role }): Promise<{ id: string; created: boolean }> {
  const db = getDb();
  const existing = await db.user.findUnique({ where: { email: input.email } });
  if (existing) {
    if (existing.role !== input.role) {
      await db.user.update({ where: { id: existing.id }, data: { role: input.role } });
      forgetViewer(existing.id);
    }
    return { id: existing.id, created: false };
  }
  const { user } = await getAuth().api.signUpEmail({
    body: { name: input.name, email: input.email, password: input.password },
  });
  await db.user.update({ where: { id: user.id }, data: { role: input.role } });
  return { id: user.id, created: true };
}

/**
 * better-auth reports expected failures as `APIError { statusCode, body: { code } }`. The class
 * can exist twice in a bundle (better-call is bundled into several chunks), so `instanceof` is not
 * reliable: recognise it by shape and keep only the status and the documented error code.
 */
function betterAuthError(err: unknown): { status: number; code: string } | null {
  if (!(err instanceof Error) || err.name !== 'APIError') return null;
  const e = err as Error & { statusCode?: unknown; body?: { code?: unknown } };
  if (typeof e.statusCode !== 'number') return null;
  return { status: e.statusCode, code: typeof e.body?.code === 'string' ? e.body.code : '' };
}

function pickUser(u: { id: string; email: string; name: string }) {
  return { id: u.id, email: u.email, name: u.name };
}
