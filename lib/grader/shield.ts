import { expectOk, type GuestExec, type GuestExecOptions, type GuestOutput } from './check';

/**
 * The grader runs its own workloads as the learner (so they read the learner's config with the
 * learner's rights). The learner's processes may ptrace anything of the same user, though: a
 * loop like `strace -p $(pgrep -f 'counterd --ops') -e inject=futex:retval=0` would make the
 * grader's run skip the very system calls it counts (an injected call never reaches the
 * syscall tracepoints), or rewrite what it prints.
 *
 * So while a grader's workload runs, Yama's ptrace scope is 1: a process may attach only to its
 * own descendants (the grader's strace to the program it starts still can; root can). Reading
 * /proc/PID/mem or process_vm_writev need the same right. The learner's own `strace -p` works
 * again as soon as the workload ends; runs that overlap are counted in /run/kmap-shield, and the
 * last one to end lowers the scope.
 */

const SCOPE = '/proc/sys/kernel/yama/ptrace_scope';
const DIR = '/run/kmap-shield';

export async function shieldedExec(
  exec: GuestExec,
  token: string,
  argv: readonly string[],
  opts: GuestExecOptions & { user: 'student' },
): Promise<GuestOutput> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(token)) throw new Error('shield token must be a plain nonce');
  expectOk(
    'restrict ptrace for the run',
    await exec(['/bin/sh', '-c', `mkdir -p -m 700 ${DIR} && : > ${DIR}/${token} && echo 1 > ${SCOPE}`]),
  );
  try {
    return await exec(argv, opts);
  } finally {
    await exec(['/bin/sh', '-c', `rm -f ${DIR}/${token}; [ -n "$(ls -A ${DIR})" ] || echo 0 > ${SCOPE}`]);
  }
}
