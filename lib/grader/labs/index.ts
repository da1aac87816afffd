import type { LabGrader } from '../check';
import { durableWrite } from './durable-write';
import { futexContention } from './futex-contention';
import { syscallTax } from './syscall-tax';

/** Every lab that has a grader, by lab id (the folder under labs/). */
export const LAB_GRADERS: ReadonlyMap<string, LabGrader> = new Map([durableWrite, futexContention, syscallTax].map((g) => [g.labId, g]));
