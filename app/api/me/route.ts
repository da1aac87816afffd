import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';

export const GET = route({ permission: canUseLearnerPages, action: 'see this page' }, async ({ viewer }) => ({ user: viewer }));
