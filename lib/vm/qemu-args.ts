import type { Arch, LabUser } from './schema';

/**
 * The QEMU command line, built as an argument array (never a shell string). Pure.
 *
 * A snapshot restores only into a QEMU whose guest-visible configuration is identical to the one
 * that took it, so every session of an (arch, variant) pair goes through this one function with
 * the same inputs except the per-session paths (sockets, pidfile, disk file) and `incomingFd`.
 */

/** Per-architecture facts. Why these: lib/vm/README.md ("Settings"). */
export interface ArchProfile {
  arch: Arch;
  /** Debian's name for the architecture. */
  debArch: 'amd64' | 'arm64';
  /** GNU triplet of the Debian multiarch library directories. */
  triplet: 'x86_64-linux-gnu' | 'aarch64-linux-gnu';
  qemuBinary: string;
  /** Host C compiler producing static binaries for this guest. */
  cc: string;
  /** Kernel console device name. */
  consoleTty: string;
  /** Machine, CPU and firmware arguments. */
  machineArgs(accel: Accel): string[];
}

export type Accel = 'tcg' | 'kvm';

export const ARCH_PROFILES: Record<Arch, ArchProfile> = {
  x86_64: {
    arch: 'x86_64',
    debArch: 'amd64',
    triplet: 'x86_64-linux-gnu',
    qemuBinary: 'qemu-system-x86_64',
    cc: 'gcc',
    consoleTty: 'ttyS0',
    // qboot + a raw vmlinux entered through PVH: 2.3 s to a prompt instead of 5.5 s with
    // SeaBIOS + bzImage (notes, "Boot").
    machineArgs: (accel) => [
      '-M',
      'pc,memory-backend=ram0',
      '-bios',
      '/usr/share/qemu/qboot.rom',
      '-cpu',
      accel === 'kvm' ? 'host' : 'qemu64',
    ],
  },
  aarch64: {
    arch: 'aarch64',
    debArch: 'arm64',
    triplet: 'aarch64-linux-gnu',
    qemuBinary: 'qemu-system-aarch64',
    cc: 'aarch64-linux-gnu-gcc',
    consoleTty: 'ttyAMA0',
    // cortex-a57: 1.9 s to a prompt; `-cpu max` spends 8.7 s emulating pointer authentication.
    machineArgs: (accel) => ['-M', 'virt,memory-backend=ram0', '-cpu', accel === 'kvm' ? 'host' : 'cortex-a57'],
  },
};

/** Name of the agent's virtio-serial port; agent.c looks for the same string. */
export const AGENT_PORT_NAME = 'org.kernelmap.agent';

/** Guest RAM of every lab VM. */
export const DEFAULT_GUEST_MEMORY_MIB = 256;
/** Size of the per-session disk; fixed because the disk snapshot variant was taken with it. */
export const LAB_DISK_BYTES = 16 * 1024 * 1024;

/** Most vCPUs a lab VM may have (lab.yaml `resources.vcpus`). */
export const MAX_VCPUS = 4;

/**
 * Which snapshot a session restores: the guest-visible differences between sessions. A restore
 * must match its snapshot's shape exactly, so each shape (user, disk, vCPUs) is its own snapshot.
 */
export interface SnapshotVariant {
  user: LabUser;
  disk: boolean;
  /** vCPUs; 1 when absent. */
  vcpus?: number;
}

export function variantVcpus(v: SnapshotVariant): number {
  return v.vcpus ?? 1;
}

/** `student-nodisk`, `student-disk`, `student-nodisk-2cpu` (one vCPU keeps the old names, so old snapshots stay valid). */
export function variantKey(v: SnapshotVariant): string {
  const cpus = variantVcpus(v);
  return `${v.user}-${v.disk ? 'disk' : 'nodisk'}${cpus === 1 ? '' : `-${cpus}cpu`}`;
}

/** Kernel command line. `panic=-1` + QEMU's `-no-reboot` turn a guest panic into a QEMU exit. */
export function kernelCommandLine(arch: Arch, user: LabUser): string {
  return [
    `console=${ARCH_PROFILES[arch].consoleTty}`,
    'quiet',
    'loglevel=3',
    'mitigations=off',
    'panic=-1',
    'nokaslr',
    // Debian's arm64 kernel reserves 64 MiB for CMA (DMA buffers no lab device needs); in a
    // 256 MiB guest that left too little room to unpack the initramfs ("Initramfs unpacking
    // failed: write error", and perf lost libunwind). x86_64 reserves none.
    ...(arch === 'aarch64' ? ['cma=0'] : []),
    `lab.user=${user}`,
  ].join(' ');
}

export interface QemuLaunch {
  arch: Arch;
  accel: Accel;
  memoryMiB: number;
  /** TCG translation cache size; bounds a large part of per-VM host memory. */
  tbSizeMiB: number;
  kernel: string;
  initrd: string;
  variant: SnapshotVariant;
  /** The snapshot's guest RAM file; the VM taking the snapshot maps it shared, clones private. */
  ramFile: string;
  ramShared: boolean;
  /** Socket and pidfile locations for this VM. */
  qmpSocket: string;
  consoleSocket: string;
  agentSocket: string;
  pidfile: string;
  /** Appears in QEMU's argv (`-name`) so orphan cleanup can recognise our processes. */
  marker: string;
  /** The session's disk image; required when variant.disk. */
  diskImage?: string;
  /**
   * Wait for a snapshot (`-incoming defer`); the runner then enables x-ignore-shared and starts
   * `migrate-incoming fd:N` over QMP (7.2 has no command-line form of the capability).
   */
  incoming?: boolean;
  /**
   * QEMU's seccomp filter. 'strict' also forbids fork/exec; 'allow-spawn' is for the image build,
   * where the snapshot is written through `migrate exec:`.
   */
  sandbox: 'strict' | 'allow-spawn' | 'off';
}

export interface Command {
  command: string;
  args: string[];
}

/** QEMU option values are comma-separated lists; a comma in a path would inject options. */
function optionSafe(what: string, value: string): string {
  if (/[,\n\0=]/.test(value) || value.length === 0) throw new Error(`${what} cannot be used in a QEMU option: ${JSON.stringify(value)}`);
  return value;
}

export function buildQemuCommand(l: QemuLaunch): Command {
  const p = ARCH_PROFILES[l.arch];
  if (l.accel === 'kvm' && l.arch !== 'x86_64') throw new Error('KVM is only used for x86_64 guests on x86_64 hosts');
  if (!Number.isInteger(l.memoryMiB) || l.memoryMiB < 64 || l.memoryMiB > 4096) throw new Error('memoryMiB out of range');
  const vcpus = variantVcpus(l.variant);
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) throw new Error(`vcpus must be 1–${MAX_VCPUS}`);
  // Several vCPUs under TCG take turns on one host thread (single-threaded TCG, named because
  // QEMU would pick multi-threaded): with a thread per vCPU, QEMU 7.2 now and then froze an x86_64
  // guest for good when perf switched syscall tracepoints on or off while the other vCPU made
  // syscalls — both vCPUs spinning on the kernel's just-patched code (README "Settings").
  const tb = `tb-size=${Math.max(8, Math.floor(l.tbSizeMiB))}`;
  const accel = l.accel === 'kvm' ? 'kvm' : vcpus > 1 ? `tcg,thread=single,${tb}` : `tcg,${tb}`;
  const args = [
    '-name',
    `${optionSafe('marker', l.marker)},debug-threads=off`,
    '-accel',
    accel,
    ...p.machineArgs(l.accel),
    '-smp',
    String(vcpus),
    '-m',
    `${l.memoryMiB}M`,
    // Guest RAM lives in the snapshot's RAM file: the snapshot VM maps it shared (its RAM *is*
    // the file), clones map it private (copy-on-write). With x-ignore-shared the migration
    // stream carries device state only, so a restore reads a few MiB and every clone shares
    // the unchanged pages through the host page cache. README "Snapshots".
    '-object',
    `memory-backend-file,id=ram0,size=${l.memoryMiB}M,mem-path=${optionSafe('RAM file', l.ramFile)},share=${l.ramShared ? 'on' : 'off'}`,

    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-monitor',
    'none',
    '-nic',
    'none',
    '-no-reboot',
    '-kernel',
    l.kernel,
    '-initrd',
    l.initrd,
    '-append',
    kernelCommandLine(l.arch, l.variant.user),
    '-chardev',
    `socket,id=con,path=${optionSafe('console socket', l.consoleSocket)},server=on,wait=off`,
    '-serial',
    'chardev:con',
    '-chardev',
    `socket,id=agent,path=${optionSafe('agent socket', l.agentSocket)},server=on,wait=off`,
    '-device',
    'virtio-serial-pci,id=vser0',
    '-device',
    `virtserialport,bus=vser0.0,chardev=agent,name=${AGENT_PORT_NAME}`,
    '-qmp',
    `unix:${optionSafe('QMP socket', l.qmpSocket)},server=on,wait=off`,
    '-pidfile',
    l.pidfile,
  ];
  if (l.variant.disk) {
    if (!l.diskImage) throw new Error('the disk variant needs a disk image');
    // cache=writeback works on any host file system; killing QEMU loses only what the guest never
    // submitted either way (notes: "the QEMU cache mode made no difference").
    args.push(
      '-drive',
      `file=${optionSafe('disk image', l.diskImage)},format=raw,if=none,id=d0,cache=writeback,discard=unmap`,
      '-device',
      'virtio-blk-pci,drive=d0,id=vd0',
    );
  }
  if (l.sandbox !== 'off') {
    const spawn = l.sandbox === 'strict' ? 'deny' : 'allow';
    args.push('-sandbox', `on,obsolete=deny,elevateprivileges=deny,spawn=${spawn},resourcecontrol=deny`);
  }
  if (l.incoming) args.push('-incoming', 'defer');
  return { command: p.qemuBinary, args };
}

/**
 * Niceness of learners' VMs: a busy TCG guest takes a whole core, and a classroom of them must not
 * make the web server (nice 0) slow. At nice 10 a VM's CPU weight is 110 against the server's
 * 1024, so 18 busy VMs on 2 cores still leave the server about two thirds of a core whenever it
 * wants one (measured in `bench:labs`, health p99 with N busy VMs). Among themselves VMs stay
 * equal.
 */
export const LAB_VM_NICE = 10;

/**
 * Wraps a command so the kernel SIGKILLs it when the spawning thread dies: a crashed or killed
 * server leaves no VM behind (prctl PR_SET_PDEATHSIG via util-linux setpriv), optionally at a
 * lower CPU priority (`nice -n`, which execs the command: same pid, same death signal).
 */
export function tiedToParent(c: Command, opts: { nice?: number } = {}): Command {
  const niced = opts.nice ? ['nice', '-n', String(opts.nice)] : [];
  return { command: 'setpriv', args: ['--pdeathsig', 'KILL', '--', ...niced, c.command, ...c.args] };
}
