/**
 * lib/grader — the pure core of lab grading: parsers of guest outputs, the check runner's
 * vocabulary, per-session drawn truth, and one grader per lab. No Node APIs, no Prisma: the lab
 * feature (lib/labs) injects the VM (exec, scratch VMs), the clock and the nonces. See README.md.
 */
export * from './check';
export { LAB_GRADERS } from './labs';
export { ancestry, CPU_SAMPLE_SCRIPT, cgroupDraw, parseCpuSample, ticketText as cgroupTicket } from './labs/cgroup-limits';
export { inPlaceWrites } from './labs/durable-write';
export { ECHOD, echodLimits, echodLoadScript, limitFlags, limitHit, parseLoadRun } from './labs/epoll-threads';
export { hotLockOf, serviceSeed } from './labs/futex-contention';
export { parseSha256sum, RINGREAD, ringCounts } from './labs/io-uring-batching';
export { expectedFigures, lazyParams, parseMib } from './labs/lazy-memory';
export { analyseRing, expectedSum as ringSum } from './labs/memory-ordering';
export { INSPECT_SCRIPT, judgeMount, judgePid, judgeUts, nsDraw, parseInspect } from './labs/namespaces';
export { readWait, stuckDraw, WAIT_SCRIPT } from './labs/proc-debugger';
export { NEXT_TOOLS, PRESSURE_SCRIPT, pressureSample, psiDraw } from './labs/psi-triage';
export { initialConf, parseServiceSample, SLOWD, sampleScript, slowDraw, slowService } from './labs/slow-service';
export { expectedLedger } from './labs/syscall-tax';
export { FILESRV, serveScript, tallyBytes } from './labs/zero-copy';
export * from './parse';
export { type Draw, drawFor } from './seed';
