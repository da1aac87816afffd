/**
 * lib/vm — the lab VM machinery, knowing no database and no HTTP: guest images (manifest /
 * build / snapshot), the QEMU runner (launch, QMP, console, agent client, disk), the session
 * manager and its limits, behind the `LabBackend` interface. The product feature that uses it
 * (learners' lab sessions) is lib/labs. Public entry: import from '@/lib/vm' only. Architecture
 * and decisions: ./README.md.
 */
export type { ExecResult } from './agent-client';
export { AgentError } from './agent-client';
export { decodeAgentReply, encodeAgentRequest, LineDecoder } from './agent-protocol';
export type { EndReason, HostMemory, LabBackend, LabVm, VmState, VmStatus } from './backend';
export type { ConsoleStream } from './console';
export { LabError, type LabErrorCode, LabsFullError, LearnerLimitError } from './errors';
export { hostCompile, hostCompileAvailable } from './host-compile';
export { ensureLabImages, type ImageBuildOptions } from './images/build';
export {
  type BuildStatus,
  DEFAULT_VARIANTS,
  defaultCacheDir,
  type LabImages,
  type LabSnapshotSpec,
  labSetupHash,
  loadCurrentImages,
  readBuildStatus,
  writeBuildStatus,
} from './images/manifest';
export { type KvmProbe, probeKvm } from './kvm';
export { MARKER_PREFIX, PROMPT } from './launch';
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
export { type Accel, buildQemuCommand, LAB_VM_NICE, MAX_VCPUS, type QemuLaunch, type SnapshotVariant, tiedToParent } from './qemu-args';
export { QemuBackend, type QemuBackendOptions } from './qemu-backend';
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
export {
  type LabSession,
  LabSessionManager,
  type SessionInfo,
  type SessionManagerOptions,
  type SessionRecorder,
  type SessionState,
  type StartOptions,
} from './sessions';
