import { ensureAccount } from '@/lib/auth/accounts';

/**
 * The demo accounts seeded on start (SEED_DEMO=true, the default). Printed at start and listed in
 * the README; change them or set SEED_DEMO=false for any deployment that is not a demo.
 */
export const DEMO_ACCOUNTS = [
  { role: 'instructor', name: 'Ada Instructor', email: 'instructor@kernelmap.test', password: 'kernelmap-instructor' },
  { role: 'student', name: 'Linus Student', email: 'student@kernelmap.test', password: 'kernelmap-student' },
] as const;

/** Creates the demo accounts that are missing; running it again changes nothing. */
export async function seedDemoAccounts(): Promise<{ email: string; created: boolean }[]> {
  const out: { email: string; created: boolean }[] = [];
  for (const account of DEMO_ACCOUNTS) {
    const { created } = await ensureAccount({ ...account });
    out.push({ email: account.email, created });
  }
  return out;
}
