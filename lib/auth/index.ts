export * from './accounts';
export { SESSION_COOKIE_PREFIX } from './better-auth';
export * from './permissions';
export * from './roles';
export { currentViewer, requireViewerForPage } from './session';
export { viewerFromHeaders } from './viewer';
