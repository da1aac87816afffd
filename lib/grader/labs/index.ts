import type { LabGrader } from '../check';
import { cgroupLimits } from './cgroup-limits';
import { durableWrite } from './durable-write';
import { epollThreads } from './epoll-threads';
import { futexContention } from './futex-contention';
import { ioUringBatching } from './io-uring-batching';
import { lazyMemory } from './lazy-memory';
import { memoryOrdering } from './memory-ordering';
import { namespaces } from './namespaces';
import { procDebugger } from './proc-debugger';
import { psiTriage } from './psi-triage';
import { slowService } from './slow-service';
import { syscallTax } from './syscall-tax';
import { zeroCopy } from './zero-copy';

/** Every lab that has a grader, by lab id (the folder under labs/). */
export const LAB_GRADERS: ReadonlyMap<string, LabGrader> = new Map(
  [
    durableWrite,
    futexContention,
    syscallTax,
    lazyMemory,
    psiTriage,
    procDebugger,
    slowService,
    cgroupLimits,
    namespaces,
    epollThreads,
    zeroCopy,
    ioUringBatching,
    memoryOrdering,
  ].map((g) => [g.labId, g]),
);
