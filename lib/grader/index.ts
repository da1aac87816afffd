/**
 * lib/grader — the pure core of lab grading: parsers of guest outputs, the check runner's
 * vocabulary, per-session drawn truth, and one grader per lab. No Node APIs, no Prisma: the lab
 * feature (lib/labs) injects the VM (exec, scratch VMs), the clock and the nonces. See README.md.
 */
export * from './check';
export { LAB_GRADERS } from './labs';
export { inPlaceWrites } from './labs/durable-write';
export { hotLockOf, serviceSeed } from './labs/futex-contention';
export { expectedLedger } from './labs/syscall-tax';
export * from './parse';
export { type Draw, drawFor } from './seed';
