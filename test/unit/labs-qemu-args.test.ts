import { describe, expect, it } from 'vitest';
import { buildQemuCommand, LAB_VM_NICE, type QemuLaunch, tiedToParent } from '@/lib/vm';

const base: QemuLaunch = {
  arch: 'x86_64',
  accel: 'tcg',
  memoryMiB: 256,
  tbSizeMiB: 64,
  kernel: '/img/kernel',
  initrd: '/img/initrd.cpio',
  ramFile: '/snap/ram',
  ramShared: false,
  variant: { user: 'student', disk: false },
  qmpSocket: '/run/s1/qmp.sock',
  consoleSocket: '/run/s1/console.sock',
  agentSocket: '/run/s1/agent.sock',
  pidfile: '/run/s1/qemu.pid',
  marker: 'kmap-lab:s1',
  sandbox: 'strict',
  incoming: true,
};

const valuesOf = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));

describe('buildQemuCommand', () => {
  it('gives an x86_64 clone no network, a RAM cap, qboot + PVH, a strict sandbox and a deferred restore', () => {
    const { command, args } = buildQemuCommand(base);
    expect(command).toBe('qemu-system-x86_64');
    expect(valuesOf(args, '-nic')).toEqual(['none']);
    expect(args).toContain('-nodefaults');
    expect(valuesOf(args, '-m')).toEqual(['256M']);
    expect(valuesOf(args, '-bios')).toEqual(['/usr/share/qemu/qboot.rom']);
    expect(valuesOf(args, '-sandbox')).toEqual(['on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny']);
    expect(valuesOf(args, '-incoming')).toEqual(['defer']);
    expect(valuesOf(args, '-object')[0]).toBe('memory-backend-file,id=ram0,size=256M,mem-path=/snap/ram,share=off');
    expect(valuesOf(args, '-name')[0]).toBe('kmap-lab:s1,debug-threads=off');
    expect(valuesOf(args, '-append')[0]).toContain('lab.user=student');
    expect(valuesOf(args, '-append')[0]).toContain('console=ttyS0');
    expect(args.some((a) => a.includes('netdev'))).toBe(false);
  });

  it('uses virt + cortex-a57 and ttyAMA0 for aarch64, and never KVM there', () => {
    const { command, args } = buildQemuCommand({ ...base, arch: 'aarch64' });
    expect(command).toBe('qemu-system-aarch64');
    expect(valuesOf(args, '-cpu')).toEqual(['cortex-a57']);
    expect(valuesOf(args, '-append')[0]).toContain('console=ttyAMA0');
    expect(() => buildQemuCommand({ ...base, arch: 'aarch64', accel: 'kvm' })).toThrow(/KVM/);
  });

  it('gives one vCPU by default and several, taking turns on one TCG thread, when the shape asks', () => {
    const one = buildQemuCommand(base).args;
    expect(valuesOf(one, '-smp')).toEqual(['1']);
    expect(valuesOf(one, '-accel')).toEqual(['tcg,tb-size=64']);
    const two = buildQemuCommand({ ...base, variant: { user: 'student', disk: false, vcpus: 2 } }).args;
    expect(valuesOf(two, '-smp')).toEqual(['2']);
    expect(valuesOf(two, '-accel')).toEqual(['tcg,thread=single,tb-size=64']);
    expect(
      valuesOf(buildQemuCommand({ ...base, accel: 'kvm', variant: { user: 'student', disk: false, vcpus: 2 } }).args, '-accel'),
    ).toEqual(['kvm']);
    for (const vcpus of [0, 5, 1.5])
      expect(() => buildQemuCommand({ ...base, variant: { user: 'student', disk: false, vcpus } })).toThrow(/vcpus/);
  });

  it('adds the lab disk only for the disk variant', () => {
    expect(() => buildQemuCommand({ ...base, variant: { user: 'student', disk: true } })).toThrow(/disk image/);
    const { args } = buildQemuCommand({ ...base, variant: { user: 'student', disk: true }, diskImage: '/run/s1/disk.img' });
    expect(valuesOf(args, '-drive')[0]).toMatch(/^file=\/run\/s1\/disk\.img,format=raw,if=none,id=d0,/);
    expect(valuesOf(args, '-device')).toContain('virtio-blk-pci,drive=d0,id=vd0');
  });

  it('refuses paths that would inject QEMU options (commas) instead of quoting them', () => {
    expect(() => buildQemuCommand({ ...base, diskImage: '/x,format=qcow2', variant: { user: 'student', disk: true } })).toThrow(
      /QEMU option/,
    );
    expect(() => buildQemuCommand({ ...base, consoleSocket: '/tmp/a,server=off' })).toThrow(/QEMU option/);
    expect(() => buildQemuCommand({ ...base, marker: 'x,process=evil' })).toThrow(/QEMU option/);
  });

  it('rejects an out-of-range memory cap', () => {
    expect(() => buildQemuCommand({ ...base, memoryMiB: 1 << 20 })).toThrow(/memoryMiB/);
  });

  it('ties QEMU to its parent with setpriv --pdeathsig KILL, as an argument array', () => {
    const c = tiedToParent(buildQemuCommand(base));
    expect(c.command).toBe('setpriv');
    expect(c.args.slice(0, 4)).toEqual(['--pdeathsig', 'KILL', '--', 'qemu-system-x86_64']);
  });

  it("runs learners' VMs below the web server's CPU priority (issue 8: 18 busy VMs slowed health to 1.8 s)", () => {
    const c = tiedToParent(buildQemuCommand(base), { nice: LAB_VM_NICE });
    expect(LAB_VM_NICE).toBeGreaterThan(0);
    expect(c.args.slice(0, 7)).toEqual(['--pdeathsig', 'KILL', '--', 'nice', '-n', String(LAB_VM_NICE), 'qemu-system-x86_64']);
  });
});
