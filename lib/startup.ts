import { getCourse, syncCourse } from '@/lib/course';
import { DEMO_ACCOUNTS, seedDemoAccounts } from '@/lib/demo';
import type { Env } from '@/lib/env';

/**
 * Work the server does once before it listens: everything here is idempotent, so a restart (or
 * several web nodes starting together) changes nothing that is already in place.
 */
export async function runStartupTasks(config: Env): Promise<void> {
  const course = getCourse();
  const sync = await syncCourse(course, new Date());
  console.log(
    `[kernel-map] course: ${course.lessons.length} lessons, ${course.cards.length} cards, ${course.quizzes.length} quizzes ` +
      `(cards +${sync.cards.added} ~${sync.cards.updated} retired ${sync.cards.retired}; lessons +${sync.lessons.added} ~${sync.lessons.updated} retired ${sync.lessons.retired})`,
  );
  if (config.SEED_DEMO) {
    const seeded = await seedDemoAccounts();
    const created = seeded.filter((s) => s.created).length;
    console.log(`[kernel-map] demo accounts ready (${created} created now). Sign in with:`);
    for (const a of DEMO_ACCOUNTS) console.log(`    ${a.role.padEnd(10)} ${a.email}  /  ${a.password}`);
  }
}
