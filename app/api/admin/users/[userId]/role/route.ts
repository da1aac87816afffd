import { z } from 'zod';
import { canAdminister, roleSchema, setUserRole } from '@/lib/auth';
import { route } from '@/lib/http';
import { UserIdSchema } from '@/lib/schema';

/** Gives a user a role (student, instructor, admin). An admin cannot change their own. */
export const PUT = route(
  {
    permission: canAdminister,
    action: 'change roles',
    params: z.object({ userId: UserIdSchema }),
    body: z.strictObject({ role: roleSchema }),
  },
  async ({ viewer, params, body }) => ({ user: await setUserRole(viewer, params.userId, body.role) }),
);
