import { canUseLearnerPages } from '@/lib/auth';
import { route } from '@/lib/http';
import { getReviewSettings, reviewSettingsInput, updateReviewSettings } from '@/lib/srs';

export const GET = route({ permission: canUseLearnerPages, action: 'see settings' }, ({ viewer }) => getReviewSettings(viewer.id));

export const PUT = route({ permission: canUseLearnerPages, action: 'change settings', body: reviewSettingsInput }, ({ viewer, body }) =>
  updateReviewSettings(viewer.id, body),
);
