import { assertPermission, canUseLearnerPages, currentViewer } from '@/lib/auth';
import { getCardIntroduction, learnerSettingsInput, setCardIntroduction } from '@/lib/course';
import { assertSameOrigin, handle, json, parseJson } from '@/lib/http';

export const GET = handle(async (req: Request) => {
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canUseLearnerPages(viewer), 'see settings');
  return json({ cardIntroduction: await getCardIntroduction(viewer.id) });
});

export const PUT = handle(async (req: Request) => {
  assertSameOrigin(req);
  const input = await parseJson(req, learnerSettingsInput);
  const viewer = await currentViewer(req.headers);
  assertPermission(viewer, canUseLearnerPages(viewer), 'change settings');
  const result = await setCardIntroduction(viewer.id, input.cardIntroduction, new Date());
  return json({ cardIntroduction: input.cardIntroduction, ...result });
});
