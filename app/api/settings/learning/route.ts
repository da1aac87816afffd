import { canUseLearnerPages } from '@/lib/auth';
import { getCardIntroduction, learnerSettingsInput, setCardIntroduction } from '@/lib/course';
import { route } from '@/lib/http';

export const GET = route({ permission: canUseLearnerPages, action: 'see settings' }, async ({ viewer }) => ({
  cardIntroduction: await getCardIntroduction(viewer.id),
}));

export const PUT = route(
  { permission: canUseLearnerPages, action: 'change settings', body: learnerSettingsInput },
  async ({ viewer, body, now }) => ({
    cardIntroduction: body.cardIntroduction,
    ...(await setCardIntroduction(viewer.id, body.cardIntroduction, now)),
  }),
);
