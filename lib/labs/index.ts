/**
 * lib/labs — lab VMs: guest images, the QEMU runner, the guest agent client, sessions and limits.
 * Public entry: import from '@/lib/labs' only. Architecture and decisions: ./README.md.
 */
export type { ExecResult } from './agent-client';
export { AgentError } from './agent-client';
export { decodeAgentReply, encodeAgentRequest, LineDecoder } from './agent-protocol';
export type { EndReason, HostMemory, LabBackend, LabVm, VmState, VmStatus } from './backend';
export type { ConsoleStream } from './console';
export { LAB_ERROR_HTTP_STATUS, LabError, type LabErrorCode, LabsFullError, LearnerLimitError } from './errors';
export {
  DEFAULT_VARIANTS,
  defaultCacheDir,
  ensureLabImages,
  type ImageBuildOptions,
  type LabImages,
  loadCurrentImages,
} from './images';
export { type KvmProbe, probeKvm } from './kvm';
export {
  type Capacity,
  type CapacityPolicy,
  DEFAULT_CAPACITY_POLICY,
  estimateWaitMinutes,
  extendedExpiry,
  globalSessionCap,
  type HostResources,
  limitReached,
} from './limits';
export { type Accel, buildQemuCommand, type QemuLaunch, type SnapshotVariant, tiedToParent } from './qemu-args';
export { MARKER_PREFIX, PROMPT, QemuBackend, type QemuBackendOptions } from './qemu-backend';
export { ByteRing } from './ring-buffer';
export {
  ARCHES,
  type Arch,
  ArchSchema,
  ArgvSchema,
  type ExecOptionsInput,
  LabIdSchema,
  LearnerIdSchema,
  SafePathSchema,
  SessionIdSchema,
  type SessionSpec,
  type SessionSpecInput,
  SessionSpecSchema,
  type TerminalSize,
  TerminalSizeSchema,
} from './schema';
export { type LabSession, LabSessionManager, type SessionInfo, type SessionManagerOptions, type SessionState } from './sessions';
