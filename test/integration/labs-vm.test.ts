import { spawn } from 'node:child_process';
import { existsSync, promises as fs, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSnapshotSpec, readLabs } from '@/lib/content';
import { ARCHES, type Arch, LAB_VM_NICE, LabError, type LabVm, labSetupHash, MARKER_PREFIX, QemuBackend } from '@/lib/vm';
import { openLabBackend } from '../helpers/lab-backend';

/**
 * Real VMs restored from the real snapshots (TCG here). The images are built (or found cached)
 * in beforeAll; the first build downloads ~130 packages and takes a couple of minutes.
 */

const root = process.cwd();
const cacheDir = path.join(root, '.cache/labs');
let backend: QemuBackend;
let n = 0;
const sid = () => `itest${process.pid}x${n++}`;
const start = (arch: Arch, extra: { disk?: { seedDir?: string } } = {}) =>
  backend.start({ learnerId: 'itest', labId: 'hello', arch, user: 'student', ...extra }, sid());

const catalogue = readLabs(path.join(root, 'labs')).labs;

beforeAll(async () => {
  backend = await openLabBackend('run-test', catalogue);
}, 900_000);

afterAll(async () => {
  await backend?.shutdown();
});

describe.each(ARCHES)('lab VM on %s', (arch) => {
  it('starts from the snapshot, runs commands through the agent and echoes on the console', async () => {
    const vm = await start(arch);
    try {
      expect(vm.status()).toMatchObject({ state: 'running' });
      const uname = await vm.exec(['uname', '-m']);
      expect(uname).toMatchObject({ exitCode: 0, stdout: `${arch}\n`, timedOut: false });
      expect((await vm.exec(['hello'])).stdout).toBe(`hello from ${arch}\n`);
      const id = await vm.exec(['id', '-un'], { user: 'student' });
      expect(id.stdout).toBe('student\n');
      // The clock was set after the restore: the guest agrees with the host within a few seconds.
      const guestNow = Number((await vm.exec(['date', '+%s'])).stdout.trim());
      expect(Math.abs(guestNow - Date.now() / 1000)).toBeLessThan(5);
      // Timeout and output cap.
      const slow = await vm.exec(['sleep', '10'], { timeoutMs: 300 });
      expect(slow).toMatchObject({ timedOut: true, signal: 9 });
      const big = await vm.exec(['/bin/sh', '-c', 'yes | head -c 100000'], { maxOutput: 1000 });
      expect(big.stdout.length).toBe(1000);
      expect(big.stdoutTruncated).toBe(true);
      // The learner's terminal.
      vm.console.write('echo console-$((6*7))\r');
      await vm.console.waitFor(/console-42/, 10_000);
      await vm.resize({ cols: 100, rows: 30 });
      expect((await vm.exec(['stty', '-F', arch === 'x86_64' ? '/dev/ttyS0' : '/dev/ttyAMA0', 'size'])).stdout.trim()).toBe('30 100');
    } finally {
      await vm.stop();
    }
    expect(vm.status()).toMatchObject({ state: 'ended', reason: 'stopped' });
  });

  it("unpacked the whole initramfs, and tcc builds and runs C as the learner (the lab programs' rebuild path)", async () => {
    const vm = await start(arch);
    try {
      expect((await vm.exec(['dmesg'])).stdout).not.toMatch(/Initramfs unpacking failed/);
      const program = [
        '#include <math.h>',
        '#include <pthread.h>',
        '#include <stdio.h>',
        'static void *work(void *arg) { printf("thread %ld\\n", (long)arg); return 0; }',
        'int main(void) { pthread_t t; pthread_create(&t, 0, work, (void *)7L); pthread_join(t, 0); printf("root %.3f\\n", sqrt(2.0)); return 0; }',
        '',
      ].join('\n');
      const asLearner = { user: 'student' as const, timeoutMs: 60_000 };
      expect((await vm.exec(['/bin/sh', '-c', 'cat > /tmp/t.c'], { ...asLearner, stdin: program })).exitCode).toBe(0);
      const run = await vm.exec(['tcc', '-pthread', '-run', '/tmp/t.c', '-lm'], asLearner);
      expect(run, run.stderr).toMatchObject({ exitCode: 0, stdout: 'thread 7\nroot 1.414\n' });
      const built = await vm.exec(['/bin/sh', '-c', 'tcc -pthread -o /tmp/t /tmp/t.c -lm && /tmp/t'], asLearner);
      expect(built, built.stderr).toMatchObject({ exitCode: 0, stdout: 'thread 7\nroot 1.414\n' });
      // A lab program from its shipped source, built in the guest, does the same work as the image's.
      const ledger = await vm.exec(
        [
          '/bin/sh',
          '-c',
          'tcc -o /tmp/ledger /opt/labs/syscall-tax/src/ledger.c && /tmp/ledger --out /tmp/a --records 50 && /opt/labs/syscall-tax/ledger --out /tmp/b --records 50 && cmp /tmp/a /tmp/b && echo same',
        ],
        asLearner,
      );
      expect(ledger, ledger.stderr).toMatchObject({ exitCode: 0, stdout: 'same\n' });
    } finally {
      await vm.stop();
    }
  });

  it("restores a lab's own snapshot with its setup done, or the base one when the setup changed; and a 2-vCPU shape", async () => {
    const lab = (id: string) => {
      const l = catalogue.find((x) => x.id === id);
      if (!l) throw new Error(`no lab ${id}`);
      return l;
    };
    const spec = labSnapshotSpec(lab('syscall-tax'));
    if (!spec) throw new Error('syscall-tax has a setup');
    const hash = labSetupHash(spec);
    const snap = await backend.start({ learnerId: 'itest', labId: 'syscall-tax', arch, snapshotSetup: { hash } }, sid());
    try {
      expect(snap.setupFromSnapshot).toBe(true);
      expect((await snap.exec(['cat', '/home/student/ledger.conf'])).stdout).toContain('flush = fields');
    } finally {
      await snap.stop();
    }
    const edited = labSetupHash({ ...spec, setup: `${spec.setup}\n# edited\n` });
    const base = await backend.start({ learnerId: 'itest', labId: 'syscall-tax', arch, snapshotSetup: { hash: edited } }, sid());
    try {
      expect(base.setupFromSnapshot).toBe(false);
      expect((await base.exec(['test', '-e', '/home/student/ledger.conf'])).exitCode).not.toBe(0);
    } finally {
      await base.stop();
    }
    // A lab with a disk is snapshotted with its seeded disk mounted; the session gets a copy of that
    // image, consistent with the guest's caches: what the learner makes durable survives a power cut.
    const durable = lab('durable-write');
    const dspec = labSnapshotSpec(durable);
    if (!dspec) throw new Error('durable-write has a setup');
    const disk = await backend.start(
      {
        learnerId: 'itest',
        labId: durable.id,
        arch,
        snapshotSetup: { hash: labSetupHash(dspec) },
        disk: { seedDir: durable.diskSeedDir ?? undefined },
      },
      sid(),
    );
    try {
      expect(disk.setupFromSnapshot).toBe(true);
      expect((await disk.exec(['grep', '/mnt/lab', '/proc/mounts'])).stdout).toContain('/dev/vda /mnt/lab ext4');
      expect((await disk.exec(['cat', '/mnt/lab/settings.conf'])).stdout).toBe('theme=light\nautosave=off\n');
      const w = await disk.exec(['/bin/sh', '-c', 'echo kept > /mnt/lab/kept && fsync /mnt/lab/kept && fsync /mnt/lab'], {
        user: 'student',
      });
      expect(w, w.stderr).toMatchObject({ exitCode: 0 });
      await disk.powerCut();
      expect((await disk.readDiskFile('/kept'))?.toString()).toBe('kept\n');
      expect((await disk.readDiskFile('/settings.conf'))?.toString()).toBe('theme=light\nautosave=off\n');
    } finally {
      await disk.stop();
    }
    const futex = lab('futex-contention');
    expect(futex.vcpus).toBe(2);
    const fspec = labSnapshotSpec(futex);
    if (!fspec) throw new Error('futex-contention has a setup');
    const two = await backend.start(
      { learnerId: 'itest', labId: futex.id, arch, vcpus: 2, snapshotSetup: { hash: labSetupHash(fspec) } },
      sid(),
    );
    try {
      expect(two.setupFromSnapshot).toBe(true);
      expect((await two.exec(['nproc'])).stdout.trim()).toBe('2');
    } finally {
      await two.stop();
    }
  });

  it('keeps the agent out of the lab user\'s reach: the port gives "Permission denied" and the agent cannot be killed', async () => {
    const vm = await start(arch);
    try {
      const ports = (await vm.exec(['ls', '/sys/class/virtio-ports'])).stdout.trim().split('\n');
      expect(ports.length).toBeGreaterThan(0);
      for (const port of ports) {
        const r = await vm.exec(['cat', `/dev/${port}`], { user: 'student', timeoutMs: 5_000 });
        expect(r.exitCode).not.toBe(0);
        expect(r.stderr).toContain('Permission denied');
      }
      const pid = (await vm.exec(['pidof', 'kmap-agent'])).stdout.trim();
      expect(pid).toMatch(/^\d+$/);
      const kill = await vm.exec(['kill', '-9', pid], { user: 'student' });
      expect(kill.exitCode).not.toBe(0);
      expect(kill.stderr).toMatch(/not permitted/i);
      // Typed on the console, too.
      vm.console.write(`kill -9 ${pid}; echo kill-status=$?\r`);
      await vm.console.waitFor(/kill-status=1/, 10_000);
      expect((await vm.exec(['true'])).exitCode).toBe(0);
    } finally {
      await vm.stop();
    }
  });

  it('survives a learner filling /tmp, /var/tmp, /dev/shm and their home (issue 8: x86_64 panicked "deadlocked on memory")', async () => {
    const vm = await start(arch);
    try {
      const fill = ['/tmp', '/var/tmp', '/dev/shm', '/home/student']
        .map((d) => `dd if=/dev/zero of=${d}/fill bs=1M 2>&1 | grep -c 'No space left on device'`)
        .join('; ');
      const r = await vm.exec(['/bin/sh', '-c', fill], { user: 'student', timeoutMs: 120_000 });
      expect(r.stdout).toBe('1\n1\n1\n1\n'); // each one filled up and said so
      // Then a memory hog on top: the lab cgroup's OOM killer takes it, the guest stays up.
      await vm.exec(['/bin/sh', '-c', 'x=$(head -c 400000000 /dev/zero | tr "\\0" a); echo done'], { user: 'student', timeoutMs: 120_000 });
      expect(vm.status()).toMatchObject({ state: 'running' });
      expect((await vm.exec(['echo', 'alive'], { timeoutMs: 20_000 })).stdout).toBe('alive\n');
      // What they filled stays bounded: the four mounts together are at most half the lab cgroup's ceiling.
      const df = await vm.exec(['/bin/sh', '-c', 'df -k /tmp /var/tmp /dev/shm /home/student | tail -n +2']);
      const used = df.stdout
        .trim()
        .split('\n')
        .reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[2]), 0);
      const max = Number((await vm.exec(['cat', '/sys/fs/cgroup/lab/memory.max'])).stdout.trim());
      expect(used * 1024).toBeLessThanOrEqual(max / 2 + 4 * 1024 * 1024);
    } finally {
      await vm.stop();
    }
  }, 300_000);

  it("keeps the lab cgroup's own knobs root's and delegates only the subtrees below (issue 8: learner-writable cpu.weight.nice, memory.min, io.*)", async () => {
    const vm = await start(arch);
    try {
      const writable = await vm.exec(
        ['/bin/sh', '-c', 'for f in /sys/fs/cgroup/lab/* /sys/fs/cgroup/agent/*; do [ -f "$f" ] && [ -w "$f" ] && echo "$f"; done; true'],
        { user: 'student' },
      );
      expect(writable.stdout).toBe('');
      for (const knob of ['cpu.weight.nice', 'cpu.max', 'memory.min', 'memory.max', 'pids.max']) {
        const w = await vm.exec(['/bin/sh', '-c', `echo 1 > /sys/fs/cgroup/lab/${knob}`], { user: 'student' });
        expect(w.exitCode, knob).not.toBe(0);
      }
      // The learner cannot leave lab/ either (moving needs the common ancestor's cgroup.procs).
      const leave = await vm.exec(['/bin/sh', '-c', 'echo $$ > /sys/fs/cgroup/cgroup.procs'], { user: 'student' });
      expect(leave.exitCode).not.toBe(0);
      // Delegation still works below: their own child group, their own process in it.
      const own = await vm.exec(
        [
          '/bin/sh',
          '-c',
          'mkdir /sys/fs/cgroup/lab/exec/mine && echo $$ > /sys/fs/cgroup/lab/exec/mine/cgroup.procs && cat /proc/self/cgroup',
        ],
        { user: 'student' },
      );
      expect(own).toMatchObject({ exitCode: 0 });
      expect(own.stdout).toContain('/lab/exec/mine');
    } finally {
      await vm.stop();
    }
  }, 120_000);

  it("gives the learner their own home (issue 8: root-owned and unwritable) and runs QEMU below the server's priority", async () => {
    const vm = await start(arch);
    try {
      const r = await vm.exec(['/bin/sh', '-c', 'stat -c %U:%a "$HOME" && touch "$HOME/notes.txt" && echo ok'], { user: 'student' });
      expect(r).toMatchObject({ exitCode: 0, stdout: 'student:700\nok\n' });
      vm.console.write('cd ~ && echo typed > t.txt && cat t.txt && echo home-$?\r');
      await vm.console.waitFor(/home-0/, 10_000);
      // The QEMU process (found by its marker) runs at LAB_VM_NICE.
      const pids = (await fs.readdir('/proc')).filter((p) => /^\d+$/.test(p));
      const mine = pids.filter((p) => {
        try {
          return (
            readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${MARKER_PREFIX}itest${process.pid}x`) &&
            readFileSync(`/proc/${p}/comm`, 'utf8').startsWith('qemu')
          );
        } catch {
          return false;
        }
      });
      expect(mine.length).toBeGreaterThan(0);
      for (const p of mine) {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        expect(Number(fields[16])).toBe(LAB_VM_NICE); // field 19 of /proc/pid/stat
      }
    } finally {
      await vm.stop();
    }
  }, 120_000);

  // One VM per case, as a grader runs them: an fsync commits ext4's whole running transaction,
  // so cases sharing a VM would rescue each other.
  it.each([
    { name: 'truncate + write, no fsync', expected: 'old\n', script: 'printf "new\\n" > /mnt/lab/f.txt' },
    {
      name: 'temp + fsync + rename, directory not synced',
      expected: 'old\n',
      script: 'printf "new\\n" > /mnt/lab/f.tmp && fsync /mnt/lab/f.tmp && mv /mnt/lab/f.tmp /mnt/lab/f.txt',
    },
    {
      name: 'temp + fsync + rename + fsync(dir)',
      expected: 'new\n',
      script: 'printf "new\\n" > /mnt/lab/f.tmp && fsync /mnt/lab/f.tmp && mv /mnt/lab/f.tmp /mnt/lab/f.txt && fsync /mnt/lab',
    },
  ])('grades durability by a power cut: $name → $expected', async ({ script, expected }) => {
    // fsync is labs/hello/guest/fsync.c (busybox has no fsync applet).
    const seed = mkdtempSync(path.join(os.tmpdir(), 'kmap-seed-'));
    writeFileSync(path.join(seed, 'f.txt'), 'old\n');
    const vm = await start(arch, { disk: { seedDir: seed } });
    try {
      const r = await vm.exec(['/bin/sh', '-c', script], { user: 'student' });
      expect(r).toMatchObject({ exitCode: 0, stderr: '' });
      await vm.powerCut();
      expect(vm.status()).toMatchObject({ state: 'ended', reason: 'power-cut' });
      expect((await vm.readDiskFile('/f.txt'))?.toString()).toBe(expected);
      expect(await vm.readDiskFile('/missing.txt')).toBeNull();
      await expect(vm.readDiskFile('/../etc/passwd')).rejects.toThrow();
      await expect(vm.readDiskFile('/a b')).rejects.toThrow();
    } finally {
      await vm.stop();
      await fs.rm(seed, { recursive: true, force: true });
    }
  });
});

describe('hostile guests', () => {
  let bystander: LabVm;
  beforeAll(async () => {
    bystander = await start('aarch64');
  }, 120_000);
  afterAll(async () => {
    await bystander?.stop();
  });
  const bystanderAlive = async () => {
    const t = Date.now();
    expect((await bystander.exec(['echo', 'alive'], { timeoutMs: 20_000 })).stdout).toBe('alive\n');
    return Date.now() - t;
  };

  it('contains a fork bomb in the lab cgroup: the agent and other sessions stay responsive', async () => {
    const vm = await start('x86_64');
    try {
      vm.console.write('bomb() { bomb | bomb & }; bomb\r');
      // 6.1 counts the refused forks in the forking cgroup (lab/shell), under lab's pids.max. On a
      // busy host TCG takes a while to fork 512 shells: poll rather than guess a time.
      const events = () => vm.exec(['cat', '/sys/fs/cgroup/lab/shell/pids.events', '/sys/fs/cgroup/lab/pids.max'], { timeoutMs: 30_000 });
      await expect.poll(async () => (await events()).stdout, { timeout: 40_000, interval: 1_000 }).toMatch(/^max [1-9]\d*\n512\n$/);
      expect((await vm.exec(['echo', 'agent-ok'], { timeoutMs: 30_000 })).stdout).toBe('agent-ok\n');
      await bystanderAlive();
    } finally {
      await vm.stop();
    }
    expect(vm.status().reason).toBe('stopped');
  }, 120_000);

  it('OOM-kills a memory hog inside the lab cgroup, not the agent', async () => {
    const vm = await start('x86_64');
    try {
      const hog = await vm.exec(['/bin/sh', '-c', 'x=0123456789abcdef; while :; do x=$x$x; done'], { user: 'student', timeoutMs: 60_000 });
      expect(hog.signal).toBe(9);
      expect(hog.timedOut).toBe(false);
      const events = await vm.exec(['cat', '/sys/fs/cgroup/lab/memory.events']);
      expect(events.stdout).toMatch(/oom_kill [1-9]/);
      expect((await vm.exec(['echo', 'agent-ok'])).stdout).toBe('agent-ok\n');
      await bystanderAlive();
    } finally {
      await vm.stop();
    }
  });

  it('ends the session with status "poweroff" when the guest powers off', async () => {
    const vm = await start('x86_64');
    const ended = new Promise((r) => vm.onEnd(r));
    await vm.exec(['poweroff', '-f'], { timeoutMs: 5_000 }).catch(() => undefined);
    await ended;
    expect(vm.status()).toMatchObject({ state: 'ended', reason: 'poweroff' });
    await vm.stop();
    await bystanderAlive();
  });

  it('ends the session with status "panic" on a kernel panic', async () => {
    const vm = await start('x86_64');
    const ended = new Promise((r) => vm.onEnd(r));
    await vm.exec(['/bin/sh', '-c', 'echo c > /proc/sysrq-trigger'], { timeoutMs: 5_000 }).catch(() => undefined);
    await ended;
    expect(vm.status()).toMatchObject({ state: 'ended', reason: 'panic' });
    await expect(vm.exec(['true'])).rejects.toBeInstanceOf(LabError);
    await vm.stop();
    await bystanderAlive();
  });

  it('bounds console memory under an output flood, and pause() stops the flow', async () => {
    const vm = await start('x86_64');
    try {
      let received = 0;
      vm.console.onData((c) => {
        received += c.length;
      });
      vm.console.write('yes flood-flood-flood-flood\r');
      await new Promise((r) => setTimeout(r, 3_000));
      expect(received).toBeGreaterThan(100_000);
      expect(vm.console.scrollback().length).toBeLessThanOrEqual(256 * 1024);
      vm.console.pause();
      await new Promise((r) => setTimeout(r, 300));
      const atPause = vm.console.bytesReceived;
      await new Promise((r) => setTimeout(r, 2_000));
      // At most what was already in flight in the socket buffers arrives after the pause.
      expect(vm.console.bytesReceived - atPause).toBeLessThan(512 * 1024);
      vm.console.resume();
      vm.console.write('\x03');
      vm.console.write('echo flood-$((40+2))-done\r');
      await vm.console.waitFor(/flood-42-done/, 20_000);
      await bystanderAlive();
    } finally {
      await vm.stop();
    }
  });
});

describe('process hygiene', () => {
  it('leaves no QEMU behind when the server process is SIGKILLed', async () => {
    const childRun = path.join(cacheDir, 'run-orphan-test');
    await fs.mkdir(childRun, { recursive: true });
    const sessionId = `orphan${process.pid}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/labs/start-vm.ts', childRun, sessionId], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /QEMU_PID=(\d+)/.exec(out);
        if (m?.[1]) resolve(Number(m[1]));
      });
      child.on('exit', (c) => reject(new Error(`child exited early (${c})`)));
    });
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect(cmdline).toContain(`${MARKER_PREFIX}${sessionId}`);
    child.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const survivors = (await fs.readdir('/proc'))
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${MARKER_PREFIX}${sessionId}`);
        } catch {
          return false;
        }
      });
    expect(survivors).toEqual([]);
    // The next server start clears the leftover files.
    await QemuBackend.cleanOrphans(childRun);
    expect(await fs.readdir(childRun)).toEqual([]);
  });

  it('rejects hostile commands and session ids before they reach QEMU or the guest', async () => {
    await expect(backend.start({ learnerId: 'x', labId: '../../x', arch: 'x86_64', user: 'student' }, sid())).rejects.toThrow();
    await expect(backend.start({ learnerId: 'x', labId: 'hello', arch: 'x86_64', user: 'student' }, '../../../tmp/x')).rejects.toThrow(
      /session id/,
    );
    const vm = await start('x86_64');
    try {
      await expect(vm.exec([])).rejects.toThrow();
      await expect(vm.exec(['echo', 'a\0b'])).rejects.toThrow();
      await expect(vm.exec(['pwd'], { cwd: '/tmp/../etc' })).rejects.toThrow();
      await expect(vm.resize({ cols: 100000, rows: 1 })).rejects.toThrow();
      // Shell metacharacters are plain argument bytes: nothing is interpreted.
      const r = await vm.exec(['echo', '$(id) ; rm -rf / `x`']);
      expect(r.stdout).toBe('$(id) ; rm -rf / `x`\n');
    } finally {
      await vm.stop();
    }
  });
});
