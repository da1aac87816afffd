export * from './accounts';
export { listUsers, setUserRole, type UserRow } from './admin';
export { hasSessionCookie, SESSION_COOKIE_PREFIX } from './cookie';
export * from './permissions';
export * from './roles';
export { currentViewer, requireViewerForPage } from './session';
export { viewerFromHeaders } from './viewer';
