import { DEMO_ACCOUNTS, seedDemoAccounts } from '@/lib/demo';
import type { Env } from '@/lib/env';

/**
 * Work the server does once before it listens: everything here is idempotent, so a restart (or
 * several web nodes starting together) changes nothing that is already in place.
 */
export async function runStartupTasks(config: Env): Promise<void> {
  if (config.SEED_DEMO) {
    const seeded = await seedDemoAccounts();
    const created = seeded.filter((s) => s.created).length;
    console.log(`[kernel-map] demo accounts ready (${created} created now). Sign in with:`);
    for (const a of DEMO_ACCOUNTS) console.log(`    ${a.role.padEnd(10)} ${a.email}  /  ${a.password}`);
  }
}
