import pkg from '@/package.json' with { type: 'json' };

/** The app version reported by /api/health (package.json's). */
export const APP_VERSION: string = pkg.version;
