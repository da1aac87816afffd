import { canAdminister, listUsers } from '@/lib/auth';
import { route } from '@/lib/http';

export const GET = route({ permission: canAdminister, action: 'manage users' }, async () => ({ users: await listUsers() }));
