/**
 * npm run user:role -- <email> <student|instructor|admin>
 *
 * Sets an account's role from the command line — how the first admin is made; from then on the
 * Admin page (/admin) changes roles. Works on the configured database (DATABASE_URL; by default
 * the embedded SQLite file). A running server applies the change within 5 s (its session cache,
 * lib/auth/session-cache.ts). Exit 2 on bad arguments, 1 when no account has that email.
 */
import { ROLES, roleSchema } from '@/lib/auth/roles';
import { closeDb, dbProvider, getDb } from '@/lib/db';

const [email, role] = process.argv.slice(2);
const parsed = roleSchema.safeParse(role);
if (!email?.includes('@') || !parsed.success) {
  console.error(`usage: npm run user:role -- <email> <${ROLES.join('|')}>`);
  if (email && !email.includes('@')) console.error(`"${email}" is not an email address.`);
  if (role !== undefined && !parsed.success) console.error(`"${role}" is not a role: use one of ${ROLES.join(', ')}.`);
  process.exit(2);
}
try {
  const db = getDb();
  const user = await db.user.findUnique({ where: { email: email.toLowerCase() }, select: { id: true, role: true } });
  if (!user) {
    console.error(`No account has the email ${email} (${dbProvider()} database). Sign up first, then run this again.`);
    process.exitCode = 1;
  } else {
    await db.user.update({ where: { id: user.id }, data: { role: parsed.data } });
    console.log(`${email}: ${user.role} → ${parsed.data}`);
  }
} finally {
  await closeDb();
}
