import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestExec } from '@/lib/grader';
import { shieldedExec } from '@/lib/grader/shield';
import { ARCHES, type LabVm, type QemuBackend } from '@/lib/vm';
import { openLabBackend } from '../helpers/lab-backend';

/**
 * The ptrace shield on real guests: while a grader's workload runs as the learner, the learner's
 * own processes cannot attach a debugger to it (strace -p gets EPERM); once it ends they can
 * attach to their processes again.
 */

let backend: QemuBackend;
let n = 0;

beforeAll(async () => {
  backend = await openLabBackend('run-shield');
}, 900_000);

afterAll(async () => {
  await backend?.shutdown();
});

/** The learner tries to trace a process of theirs for up to three seconds. */
const TRY_ATTACH = 'timeout 3 strace -o /dev/null -p "$1" 2>&1; echo "rc=$?"';

describe.each(ARCHES)('ptrace shield on %s', (arch) => {
  it('refuses the learner a debugger on the grader’s run, and only while it runs', async () => {
    const vm: LabVm = await backend.start({ learnerId: 'itest', labId: 'hello', arch, user: 'student' }, `shield${process.pid}x${n++}`);
    try {
      const exec: GuestExec = (argv, o) => vm.exec([...argv], { user: o?.user ?? 'root', timeoutMs: o?.timeoutMs, stdin: o?.stdin });
      const scope = async () => (await vm.exec(['/bin/cat', '/proc/sys/kernel/yama/ptrace_scope'])).stdout.trim();
      expect(await scope()).toBe('0');

      // The grader's workload (a marker sleep, as the learner) and, meanwhile, the learner attaching to it.
      const run = shieldedExec(exec, 'c0ffee00c0ffee00', ['/bin/sh', '-c', 'exec sleep 4.5'], { user: 'student', timeoutMs: 20_000 });
      let pid = '';
      for (let i = 0; i < 50 && !pid; i++) pid = (await vm.exec(['/bin/sh', '-c', 'pidof sleep || true'])).stdout.trim();
      expect(pid).toMatch(/^\d+$/);
      expect(await scope()).toBe('1');
      const during = await vm.exec(['/bin/sh', '-c', TRY_ATTACH, 'sh', pid], { user: 'student', timeoutMs: 10_000 });
      expect(during.stdout).toMatch(/Operation not permitted/);
      expect(during.stdout).not.toMatch(/attached/);
      expect(await run).toMatchObject({ exitCode: 0 });

      // Afterwards the learner's own strace -p works again.
      expect(await scope()).toBe('0');
      const after = await vm.exec(['/bin/sh', '-c', `sleep 6 & ${TRY_ATTACH.replace('"$1"', '$!')}`], {
        user: 'student',
        timeoutMs: 10_000,
      });
      expect(after.stdout).toMatch(/Process \d+ attached/);
      expect(after.stdout).not.toMatch(/Operation not permitted/);
    } finally {
      await vm.stop();
    }
  }, 120_000);
});
