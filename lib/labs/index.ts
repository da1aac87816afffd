/**
 * lib/labs — the lab feature as learners meet it: starting, listing, extending and stopping their
 * lab sessions (setup included), recording them, mapping the machinery's errors. The machinery
 * itself (images, QEMU, the agent, the session manager) is lib/vm; the catalogue (lab.yaml) is
 * lib/content.
 */
export type { LabDefinition } from '@/lib/content';
export { ARCHES, type Arch, ArchSchema, LabIdSchema, SessionIdSchema } from '@/lib/schema';
export { getLab, listLabs } from './catalog';
export { mapLabErrors, toAppError } from './errors';
export { type CheckInput, checkLabSession, type LabAttemptView, type LabProgress, labProgress, listLabAttempts } from './grading';
export { closeSessionsLeftByPreviousServer, databaseRecorder } from './recording';
export { initLabs, labRunDir, labsPreparing, labsUnavailableReason, RUNNER_ID, sessionManager, shutdownLabs } from './runtime';
export {
  extendLabSession,
  getOwnLabSession,
  type LabSessionView,
  listLabSessions,
  startLabSession,
  stopLabSession,
} from './sessions';
export { msUsedSince, utcDayStart } from './usage';
