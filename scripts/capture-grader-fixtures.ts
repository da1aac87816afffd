/**
 * Re-captures the real guest outputs the grader's parsers are tested on
 * (test/fixtures/grader/<arch>/<name>.stdout|.stderr). Boots one VM per arch from the current
 * images (`npm run labs:images` first), runs each command as root through the agent with absolute
 * paths, and saves what it printed. Usage: tsx scripts/capture-grader-fixtures.ts [arch...]
 * (CAPTURE_SETS=base,waits to pick: `base` is the perf/strace//proc set on a running counterd,
 * `waits` the lazy-memory, psi-triage and proc-debugger set on a VM with a lab disk, `synthesis`
 * the slow-service samples, `isolation` the cgroup-limits and namespaces set, `servers` the
 * io-uring-batching, zero-copy and epoll-threads runs, `releases` proc-debugger's exit records).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  CPU_SAMPLE_SCRIPT,
  echodLoadScript,
  type GuestExec,
  INSPECT_SCRIPT,
  LAB_GRADERS,
  PRESSURE_SCRIPT,
  RINGREAD,
  sampleScript,
  serveScript,
  slowDraw,
  slowService,
  WAIT_SCRIPT,
} from '@/lib/grader';
import { ARCHES, type Arch, ArchSchema, type LabVm, loadCurrentImages, QemuBackend } from '@/lib/vm';

const root = process.cwd();
const outRoot = path.join(root, 'test/fixtures/grader');
const COUNTERD = '/opt/labs/futex-contention/counterd';
const LEDGER = '/opt/labs/syscall-tax/ledger';

/** name → argv. The service (counterd --serve) runs in the background for the /proc captures; $PID is its pid. */
const COMMANDS: [string, string[]][] = [
  [
    'perf-stat',
    [
      '/usr/bin/perf',
      'stat',
      '-e',
      'task-clock,context-switches,cpu-migrations,page-faults',
      '--',
      COUNTERD,
      '--ops',
      '2000',
      '--seed',
      '1',
    ],
  ],
  [
    'perf-stat-x',
    [
      '/usr/bin/perf',
      'stat',
      '-x,',
      '-e',
      'task-clock,context-switches,cpu-migrations,page-faults',
      '--',
      COUNTERD,
      '--ops',
      '2000',
      '--seed',
      '1',
    ],
  ],
  ['perf-trace-s', ['/usr/bin/perf', 'trace', '-s', '--', COUNTERD, '--ops', '2000', '--seed', '1']],
  ['strace-c-f', ['/usr/bin/strace', '-c', '-f', '--', COUNTERD, '--ops', '2000', '--seed', '1']],
  [
    'strace-f-futex',
    ['/usr/bin/strace', '-f', '-o', '/proc/self/fd/1', '-e', 'trace=futex', '--', COUNTERD, '--ops', '2000', '--seed', '1'],
  ],
  ['perf-stat-x-futex', ['/usr/bin/perf', 'stat', '-x,', '-e', 'syscalls:sys_enter_futex', '--', COUNTERD, '--ops', '2000', '--seed', '1']],
  [
    'perf-stat-x-writes',
    [
      '/usr/bin/perf',
      'stat',
      '-x,',
      '-e',
      'syscalls:sys_enter_write,syscalls:sys_enter_writev',
      '--',
      LEDGER,
      '--out',
      '/tmp/ledger.out',
      '--records',
      '2000',
    ],
  ],
  ['counterd-locks', [COUNTERD, '--locks']],
  [
    'strace-c-ledger-fields',
    ['/usr/bin/strace', '-c', '-f', '-e', 'trace=write,writev', '--', LEDGER, '--out', '/tmp/ledger.out', '--records', '2000'],
  ],
  [
    'strace-c-ledger-batched',
    [
      '/bin/sh',
      '-c',
      `printf 'flush = write\\nbatch = 256\\n' > /tmp/ledger.conf && /usr/bin/strace -c -f -e trace=write,writev -- ${LEDGER} --out /tmp/ledger.out --records 2000 --config /tmp/ledger.conf`,
    ],
  ],
  [
    'strace-f-durable',
    [
      '/usr/bin/strace',
      '-f',
      '-o',
      '/proc/self/fd/1',
      '-e',
      'trace=open,openat,creat,truncate,ftruncate,write,fsync,fdatasync,sync,syncfs,rename,renameat,renameat2',
      '--',
      '/bin/sh',
      '-c',
      'printf "new\\n" > /tmp/f.tmp && /opt/labs/bin/fsync /tmp/f.tmp && mv /tmp/f.tmp /tmp/f.txt && /opt/labs/bin/fsync /tmp',
    ],
  ],
  ['proc-status', ['/bin/cat', '/proc/$PID/status']],
  ['proc-smaps_rollup', ['/bin/cat', '/proc/$PID/smaps_rollup']],
  ['proc-io', ['/bin/cat', '/proc/$PID/io']],
  ['proc-task-stat', ['/bin/sh', '-c', 'cat /proc/$PID/task/*/stat']],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
  ['proc-task-wchan', ['/bin/sh', '-c', 'for t in /proc/$PID/task/*; do printf "%s %s\\n" "${t##*/}" "$(cat $t/wchan)"; done']],
  ['proc-pressure-cpu', ['/bin/cat', '/proc/pressure/cpu']],
  ['proc-pressure-memory', ['/bin/cat', '/proc/pressure/memory']],
  ['proc-pressure-io', ['/bin/cat', '/proc/pressure/io']],
  ['proc-vmstat', ['/bin/cat', '/proc/vmstat']],
  ['stat', ['/bin/stat', '/etc/passwd']],
  ['stat-c', ['/bin/stat', '-c', '%s %b %B %i %h %u %g %a %n', '/etc/passwd']],
];

async function capture(backend: QemuBackend, arch: Arch): Promise<void> {
  const vm = await backend.start(
    { learnerId: 'capture', labId: 'hello', arch, user: 'student' },
    `capture${process.pid}${arch.replace('_', '')}`,
  );
  const dir = path.join(outRoot, arch);
  await fs.mkdir(dir, { recursive: true });
  try {
    const bg = await vm.exec(['/bin/sh', '-c', `${COUNTERD} --serve --seed 1 >/dev/null 2>&1 & echo $!`], { user: 'student' });
    const pid = bg.stdout.trim();
    if (!/^\d+$/.test(pid)) throw new Error(`no service pid: ${JSON.stringify(bg)}`);
    await new Promise((r) => setTimeout(r, 1500));
    for (const [name, argv] of COMMANDS) {
      const r = await vm.exec(
        argv.map((a) => a.replaceAll('$PID', pid)),
        { user: 'root', timeoutMs: 120_000, maxOutput: 1024 * 1024 },
      );
      if (r.exitCode !== 0) console.error(`${arch} ${name}: exit ${r.exitCode}\n${r.stderr.slice(0, 400)}`);
      for (const [stream, text] of [
        ['stdout', r.stdout],
        ['stderr', r.stderr],
      ] as const)
        if (text.length > 0) await fs.writeFile(path.join(dir, `${name}.${stream}`), text);
      console.log(`${arch} ${name}: ${r.durationMs} ms, stdout ${r.stdout.length} B, stderr ${r.stderr.length} B`);
    }
  } finally {
    await vm.stop();
  }
}

async function save(dir: string, name: string, r: { stdout: string; stderr: string; exitCode: number }, arch: Arch) {
  if (r.exitCode !== 0) console.error(`${arch} ${name}: exit ${r.exitCode}\n${r.stderr.slice(0, 400)}`);
  await fs.writeFile(path.join(dir, `${name}.stdout`), r.stdout);
  console.log(`${arch} ${name}: stdout ${r.stdout.length} B`);
}

/**
 * What the lazy-memory, psi-triage and proc-debugger graders read, on a VM with a lab disk and
 * the labs' own programs: imgcache's /proc files; the pressure sample with one job stalling on
 * each resource (and none); the wait script on reportd blocked on each kind, held by `uploader`.
 */
async function captureWaits(backend: QemuBackend, arch: Arch): Promise<void> {
  const vm: LabVm = await backend.start(
    { learnerId: 'capture', labId: 'hello', arch, user: 'student', disk: {} },
    `capturew${process.pid}${arch.replace('_', '')}`,
  );
  const dir = path.join(outRoot, arch);
  await fs.mkdir(dir, { recursive: true });
  const root = (script: string, stdin?: string) =>
    vm.exec(['/bin/sh', '-c', script], { user: 'root', stdin, timeoutMs: 60_000, maxOutput: 2 << 20 });
  try {
    // lazy-memory: a 160 MiB arena, 20 MiB written, 5 MiB of the 8 MiB index read.
    await root(
      'dd if=/dev/zero of=/mnt/lab/tiles.idx bs=1M count=8 2>/dev/null; dd if=/dev/zero of=/mnt/lab/blob bs=1M count=4 2>/dev/null; sync',
    );
    const lazy = await vm.exec(['/opt/labs/lazy-memory/imgcache'], { user: 'student', stdin: '160 20 /mnt/lab/tiles.idx 5\n' });
    const pid = lazy.stdout.trim();
    for (const f of ['status', 'stat', 'smaps_rollup'])
      await save(dir, `imgcache-${f}`, await vm.exec(['/bin/cat', `/proc/${pid}/${f}`]), arch);
    await root(`kill ${pid}`);
    // psi-triage: the grader's sample with no job stalling, then with one stalling on each resource.
    await save(dir, 'pressure-sample-idle', await root(PRESSURE_SCRIPT), arch);
    for (const mode of ['cpu', 'memory', 'io']) {
      const d = `/sys/fs/cgroup/lab/jobs/capture-${mode}`;
      const job = await root(
        `set -e; mkdir -p /sys/fs/cgroup/lab/jobs ${d}; echo "+cpu +memory +io" > /sys/fs/cgroup/lab/jobs/cgroup.subtree_control; ` +
          `echo "10000 100000" > ${d}/cpu.max; echo 8M > ${d}/memory.high; echo "$(cat /sys/block/vda/dev) rbps=262144 wbps=262144" > ${d}/io.max; ` +
          `echo "${mode} ${d} 1000" | /opt/labs/psi-triage/jobd`,
      );
      await new Promise((r) => setTimeout(r, 1000));
      await save(dir, `pressure-sample-${mode}`, await root(PRESSURE_SCRIPT), arch);
      await root(`kill ${job.stdout.trim()}; sleep 0.5`);
    }
    // proc-debugger: reportd blocked on each kind, uploader holding it (exit records: captureReleases).
    for (const kind of ['pipe', 'flock', 'child']) {
      const started = await root('/opt/labs/proc-debugger/stuckd', `${kind} uploader 1000\n`);
      const rep = started.stdout.trim();
      await save(dir, `proc-wait-${kind}`, await vm.exec(['/bin/sh', '-c', WAIT_SCRIPT, 'sh', rep], { maxOutput: 2 << 20 }), arch);
      await root('kill $(pidof indexer uploader mailer) 2>/dev/null; sleep 0.3; true');
    }
  } finally {
    await vm.stop();
  }
}

/**
 * The exit records stuckd writes for proc-debugger's release: per kind, a real release (the
 * holder ended; for the pipe also data written through the holder's /proc/PID/fd/3) and a
 * "release" by strace injecting a return value into reportd's blocking call while the holder holds on.
 */
async function captureReleases(backend: QemuBackend, arch: Arch): Promise<void> {
  const vm: LabVm = await backend.start(
    { learnerId: 'capture', labId: 'proc-debugger', arch, user: 'student' },
    `capturer${process.pid}${arch.replace('_', '')}`,
  );
  const dir = path.join(outRoot, arch);
  const root = (script: string, stdin?: string) => vm.exec(['/bin/sh', '-c', script], { user: 'root', stdin, timeoutMs: 60_000 });
  const student = (script: string) => vm.exec(['/bin/sh', '-c', script], { user: 'student', timeoutMs: 60_000 });
  const ways: [string, string][] = [
    ['released', 'kill $(pidof uploader)'],
    ['written', 'echo more > /proc/$(pidof uploader)/fd/3'],
    ['injected', 'timeout 4 strace -p $(pidof reportd) -e inject=read,flock,wait4:retval=0 -o /dev/null; true'],
  ];
  try {
    for (const kind of ['pipe', 'flock', 'child'])
      for (const [way, how] of ways) {
        if (way === 'written' && kind !== 'pipe') continue;
        await root(`/opt/labs/proc-debugger/stuckd`, `${kind} uploader 1000\n`);
        await student(`${how}; sleep 0.5`);
        await save(dir, `reportd-status-${kind}-${way}`, await root('cat /run/kmap/reportd.status'), arch);
        await root('kill $(pidof indexer uploader mailer reportd) 2>/dev/null; sleep 0.3; true');
      }
  } finally {
    await vm.stop();
  }
}

/**
 * What the slow-service grader reads: for each drawn cause, the baseline the session records
 * (service stalling), then the Check-time sample once the config is sane, and once stopped.
 */
async function captureSynthesis(backend: QemuBackend, arch: Arch): Promise<void> {
  const vm: LabVm = await backend.start(
    { learnerId: 'capture', labId: 'slow-service', arch, user: 'student', disk: {} },
    `captures${process.pid}${arch.replace('_', '')}`,
  );
  const dir = path.join(outRoot, arch);
  await fs.mkdir(dir, { recursive: true });
  const exec: GuestExec = async (argv, opts) => {
    const r = await vm.exec([...argv], { user: opts?.user ?? 'root', stdin: opts?.stdin, timeoutMs: opts?.timeoutMs ?? 60_000 });
    return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
  };
  const root = (script: string) => vm.exec(['/bin/sh', '-c', script], { user: 'root', timeoutMs: 60_000, maxOutput: 2 << 20 });
  try {
    await root('chown student:student /home/student; dd if=/dev/zero of=/mnt/lab/blob bs=1M count=4 2>/dev/null; sync');
    for (const cause of ['cpu', 'memory', 'io'] as const) {
      let seed = 0;
      while (slowDraw(`capture-${seed}`).cause !== cause) seed++;
      await slowService.prepareSession?.({ seed: `capture-${seed}`, exec });
      await save(dir, `slowd-base-${cause}`, await root('cat /run/kmap/slowd.base'), arch);
      const pid = (await root('cat /run/kmap/slowd.pid')).stdout.trim();
      await root("printf 'hash_rounds=2000\nscratch_mb=2\nread_kb=4\n' > /home/student/slowd.conf; sleep 3");
      await save(dir, `slowd-sample-fixed-${cause}`, await root(sampleScript(pid)), arch);
      if (cause === 'io') {
        await root(`kill -STOP ${pid}; sleep 1`);
        await save(dir, 'slowd-sample-stopped', await root(sampleScript(pid)), arch);
      }
      await root(`kill -KILL ${pid}; sleep 0.5`);
    }
  } finally {
    await vm.stop();
  }
}

/**
 * What the cgroup-limits and namespaces graders read: the lab's workloads started by the grader's
 * own prepareSession (fixed seed), crunch's CPU sample capped at 20 %, the kernel's OOM report of
 * bloat killed by a 16 MiB group, and the inspection of a sandboxd in PID + mount + UTS namespaces
 * built by unshare as the lab user, with and without a proc of its own.
 */
async function captureIsolation(backend: QemuBackend, arch: Arch): Promise<void> {
  const vm: LabVm = await backend.start(
    { learnerId: 'capture', labId: 'hello', arch, user: 'student' },
    `capturei${process.pid}${arch.replace('_', '')}`,
  );
  const dir = path.join(outRoot, arch);
  await fs.mkdir(dir, { recursive: true });
  const exec = (argv: readonly string[], opts?: { user?: 'root' | 'student'; stdin?: string; timeoutMs?: number; maxOutput?: number }) =>
    vm.exec([...argv], {
      user: opts?.user ?? 'root',
      stdin: opts?.stdin,
      timeoutMs: opts?.timeoutMs ?? 60_000,
      maxOutput: opts?.maxOutput ?? 2 << 20,
    });
  const student = (script: string) => exec(['/bin/sh', '-c', `cd /home/student && ${script}`], { user: 'student' });
  try {
    await exec(['/bin/chown', 'student:student', '/home/student']);
    await LAB_GRADERS.get('cgroup-limits')?.prepareSession?.({ seed: 'capture', exec });
    const G = '/sys/fs/cgroup/lab/jobs/capture';
    const moved = await student(
      `mkdir -p ${G} && echo "20000 100000" > ${G}/cpu.max && echo 16M > ${G}/memory.max && echo $(pidof crunch) > ${G}/cgroup.procs && echo $(pidof bloat) > ${G}/cgroup.procs && echo $(pidof crunch)`,
    );
    const crunch = moved.stdout.trim();
    await new Promise((r) => setTimeout(r, 6000));
    await save(dir, 'cgroup-crunch-cgroup', await exec(['/bin/cat', `/proc/${crunch}/cgroup`]), arch);
    await save(dir, 'cgroup-cpu-max', await exec(['/bin/cat', `${G}/cpu.max`]), arch);
    await save(dir, 'cgroup-cpu-sample', await exec(['/bin/sh', '-c', CPU_SAMPLE_SCRIPT, 'sh', crunch, G]), arch);
    await save(dir, 'cgroup-memory-events', await exec(['/bin/cat', `${G}/memory.events`]), arch);
    await save(dir, 'cgroup-dmesg-oom', await exec(['/bin/sh', '-c', '/bin/dmesg | /bin/grep -i oom']), arch);
    await save(dir, 'cgroup-jobs-pids', await exec(['/bin/cat', '/run/kmap/jobs.pids']), arch);
    // namespaces: the reference build, then the same without --mount-proc.
    for (const [name, flags] of [
      ['ns-inspect', '--mount-proc'],
      ['ns-inspect-no-mount-proc', ''],
    ] as const) {
      await student(
        `unshare -U -r -p -f -m -u ${flags} sh -c "hostname box-capture-42 && mount -t tmpfs none /var/tmp && exec /opt/labs/namespaces/sandboxd" > /dev/null 2>&1 & sleep 2`,
      );
      const pid = (await exec(['/bin/pidof', 'sandboxd'])).stdout.trim();
      await save(dir, name, await exec(['/bin/sh', '-c', INSPECT_SCRIPT, 'sh', pid]), arch);
      await exec(['/bin/kill', '-9', pid]); // the init of a PID namespace ignores SIGTERM from outside
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await vm.stop();
  }
}

/**
 * What the io-uring-batching, zero-copy and epoll-threads graders read: ringread under perf stat
 * (read engine, one request per enter, batches of 32); filesrv's strace with each method; the
 * load report and /proc/PID/limits of echod's thread model stopped by each kind of limit, and of
 * its epoll loop.
 */
async function captureServers(backend: QemuBackend, arch: Arch): Promise<void> {
  const vm: LabVm = await backend.start(
    { learnerId: 'capture', labId: 'hello', arch, user: 'student' },
    `captures${process.pid}${arch.replace('_', '')}`,
  );
  const dir = path.join(outRoot, arch);
  await fs.mkdir(dir, { recursive: true });
  const as = (user: 'root' | 'student', script: string) =>
    vm.exec(['/bin/sh', '-c', script], { user, timeoutMs: 90_000, maxOutput: 4 << 20 });
  try {
    await as('root', 'chown student /home/student && dd if=/dev/urandom of=/tmp/in bs=4096 count=256 2>/dev/null && chmod 644 /tmp/in');
    for (const [name, conf] of [
      ['read', 'engine = read'],
      ['uring-1', 'engine = uring\\nbatch = 1'],
      ['uring-32', 'engine = uring\\nbatch = 32'],
    ]) {
      const r = await as(
        'student',
        `printf '${conf}\\n' > /home/student/ringread.conf && rm -f /tmp/out && /usr/bin/perf stat -x, -e syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_read,syscalls:sys_enter_pread64,syscalls:sys_enter_readv,syscalls:sys_enter_preadv,io_uring:io_uring_complete -- ${RINGREAD} --file /tmp/in --out /tmp/out --config /home/student/ringread.conf`,
      );
      await save(dir, `ringread-perf-${name}`, { ...r, stdout: r.stderr }, arch);
    }
    await save(dir, 'sha256sum-pair', await as('root', '/bin/busybox sha256sum /tmp/in /tmp/out'), arch);
    for (const [i, method] of ['readwrite', 'mmap', 'sendfile', 'splice'].entries()) {
      const base = `/tmp/zc-${method}`;
      await as(
        'root',
        `cp /tmp/in ${base}.in && chmod 644 ${base}.in && printf 'method = ${method}\\nchunk = 65536\\n' > /home/student/filesrv.conf && chmod 644 /home/student/filesrv.conf`,
      );
      await as('student', serveScript(base, 41000 + i));
      await save(dir, `filesrv-strace-${method}`, await as('root', `cat ${base}.trace`), arch);
    }
    for (const [name, args] of [
      ['open-files', '--model threads --nofile 120 --nproc 400 --as-mib 8192'],
      ['threads', '--model threads --nofile 1024 --nproc 120 --as-mib 8192'],
      ['memory', '--model threads --nofile 1024 --nproc 400 --as-mib 968'],
      ['epoll', '--model epoll --nofile 1024 --nproc 400 --as-mib 8192'],
    ] as const)
      await save(
        dir,
        `echod-load-${name}`,
        await as('student', echodLoadScript(42000 + name.length, args, 1, `/tmp/echod-${name}.log`)),
        arch,
      );
  } finally {
    await vm.stop();
  }
}

const sets = (process.env.CAPTURE_SETS ?? 'base,waits,synthesis').split(',');
const arches = process.argv.length > 2 ? process.argv.slice(2).map((a) => ArchSchema.parse(a)) : ARCHES;
const images = await loadCurrentImages(path.join(root, '.cache/labs'));
if (!images) throw new Error('lab images missing: run npm run labs:images');
const runDir = path.join(root, '.cache/labs/run-capture');
await fs.mkdir(runDir, { recursive: true });
await QemuBackend.cleanOrphans(runDir);
const backend = new QemuBackend({ images, runDir });
try {
  await Promise.all(
    arches.map(async (a) => {
      if (sets.includes('base')) await capture(backend, a);
      if (sets.includes('waits')) await captureWaits(backend, a);
      if (sets.includes('synthesis')) await captureSynthesis(backend, a);
      if (sets.includes('isolation')) await captureIsolation(backend, a);
      if (sets.includes('servers')) await captureServers(backend, a);
      if (sets.includes('releases')) await captureReleases(backend, a);
    }),
  );
} finally {
  await backend.shutdown();
}
