import { z } from 'zod';
import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { ArchSchema, LabIdSchema, listLabSessions, startLabSession } from '@/lib/labs';

export const GET = route({ permission: canUseLearnerPages, action: 'use labs' }, async ({ viewer }) => ({
  sessions: await listLabSessions(viewer.id),
}));

export const POST = route(
  { permission: canUseLearnerPages, action: 'start labs', body: z.strictObject({ labId: LabIdSchema, arch: ArchSchema }), status: 201 },
  async ({ viewer, body, now }) => ({ session: await startLabSession(viewer.id, body.labId, body.arch, now) }),
);
