/**
 * Re-captures the real guest outputs the grader's parsers are tested on
 * (test/fixtures/grader/<arch>/<name>.stdout|.stderr). Boots one VM per arch from the current
 * images (`npm run labs:images` first), runs each command as root through the agent with absolute
 * paths, and saves what it printed. Usage: tsx scripts/capture-grader-fixtures.ts [arch...]
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ARCHES, type Arch, ArchSchema, loadCurrentImages, QemuBackend } from '@/lib/vm';

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

const arches = process.argv.length > 2 ? process.argv.slice(2).map((a) => ArchSchema.parse(a)) : ARCHES;
const images = await loadCurrentImages(path.join(root, '.cache/labs'));
if (!images) throw new Error('lab images missing: run npm run labs:images');
const runDir = path.join(root, '.cache/labs/run-capture');
await fs.mkdir(runDir, { recursive: true });
await QemuBackend.cleanOrphans(runDir);
const backend = new QemuBackend({ images, runDir });
try {
  await Promise.all(arches.map((a) => capture(backend, a)));
} finally {
  await backend.shutdown();
}
