import { getDb } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { type Role, roleSchema, type Viewer } from './roles';
import { forgetViewer } from './session-cache';

/**
 * The admin's user list and role changes. Callers check `canAdminister` first (the routes do it
 * through `route()`); these functions also refuse an admin changing their own role, so the last
 * admin cannot lock everyone out by accident.
 */

export interface UserRow {
  id: string;
  name: string;
  email: string;
  role: Role;
  createdAt: string;
}

/** Every account, oldest first (an admin page; a few thousand rows at most on one server). */
export async function listUsers(): Promise<UserRow[]> {
  const rows = await getDb().user.findMany({
    orderBy: { createdAt: 'asc' },
    select: { id: true, name: true, email: true, role: true, createdAt: true },
  });
  return rows.map((r) => {
    const role = roleSchema.safeParse(r.role);
    return { id: r.id, name: r.name, email: r.email, role: role.success ? role.data : 'student', createdAt: r.createdAt.toISOString() };
  });
}

/** Gives a user a role. 404 for an unknown user, 409 for the admin's own account. */
export async function setUserRole(admin: Viewer, userId: string, role: Role): Promise<UserRow> {
  if (userId === admin.id) throw new AppError('conflict', 'You cannot change your own role; ask another admin.');
  const db = getDb();
  const found = await db.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!found) throw new AppError('not_found', 'There is no such user.');
  const r = await db.user.update({
    where: { id: userId },
    data: { role },
    select: { id: true, name: true, email: true, role: true, createdAt: true },
  });
  forgetViewer(userId); // their next request sees the new role
  return { id: r.id, name: r.name, email: r.email, role, createdAt: r.createdAt.toISOString() };
}
