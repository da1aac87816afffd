import type { Course } from '@/lib/content';
import { getCourse, syncCourse } from '@/lib/course';
import { DEMO_ACCOUNTS, seedDemoAccounts } from '@/lib/demo';
import type { Env } from '@/lib/env';

/**
 * Work the server does before it listens: load the course (content errors stop start-up), then
 * sync it into the database and seed the demo accounts. The database part is idempotent, so a
 * restart (or several web nodes starting together) changes nothing already in place; when the
 * database is down it is retried in the background while the server answers /api/health with 503.
 */
export async function runStartupTasks(config: Env): Promise<void> {
  const course = getCourse(); // broken content is a deploy error: this throws and start-up stops
  try {
    await databaseTasks(config, course);
  } catch (err) {
    // The database may be down while the server starts (it answers /api/health with 503 then):
    // keep serving and retry until the tasks succeed.
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    console.error(`[kernel-map] start-up tasks failed (${reason}); retrying in ${RETRY_MS / 1000} s`);
    setTimeout(() => void runStartupTasks(config), RETRY_MS).unref();
  }
}

const RETRY_MS = 5000;

async function databaseTasks(config: Env, course: Course): Promise<void> {
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
