import { z } from 'zod';
import { assertPermission, canUseLearnerPages, currentViewer } from '@/lib/auth';
import { assertSameOrigin, handle, json, parseJson } from '@/lib/http';
import { ArchSchema, LabIdSchema } from '@/lib/labs';
import { listLabSessions, startLabSession } from '@/lib/labs-service';

const startInput = z.strictObject({ labId: LabIdSchema, arch: ArchSchema });

export const GET = handle(async (req: Request) => {
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canUseLearnerPages(viewer), 'use labs');
  return json({ sessions: await listLabSessions(viewer.id) });
});

export const POST = handle(async (req: Request) => {
  assertSameOrigin(req);
  const input = await parseJson(req, startInput);
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canUseLearnerPages(viewer), 'start labs');
  return json({ session: await startLabSession(viewer.id, input.labId, input.arch) }, { status: 201 });
});
