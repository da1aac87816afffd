import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { AgentClient } from './agent-client';
import type { ImageManifest } from './images/manifest';
import { type Accel, buildQemuCommand, type Command, DEFAULT_GUEST_MEMORY_MIB, type QemuLaunch, type SnapshotVariant } from './qemu-args';
import type { LabUser } from './schema';

/**
 * How a lab VM is launched, shared by the snapshot build (./images/snapshot.ts) and the runner
 * that restores clones (./qemu-backend.ts): file layout, the launch description, markers, the
 * prompt. Neither imports the other.
 */

/** Guest RAM and TCG cache of every snapshot (a restore must use the same). */
export const SNAPSHOT_MEMORY_MIB = DEFAULT_GUEST_MEMORY_MIB;
export const SNAPSHOT_TB_SIZE_MIB = 64;
/** Bump when takeSnapshot's recipe changes (part of the snapshot hash). */
export const SNAPSHOT_RECIPE_VERSION = 4; // 4: aarch64 boots with cma=0 and the build refuses a failed initramfs unpack
/** The snapshot file is handed to QEMU as this inherited descriptor. */
export const INCOMING_FD = 3;

/** The shell prompt (after escapes are stripped): "student@kmap:~$ " or "root@kmap:~# ". */
export const PROMPT = /@kmap:[^\n]*[$#] $/;
export const PANIC = /Kernel panic - not syncing/;

/** Written into QEMU's argv (-name) so orphan cleanup only ever kills our own VMs. */
export const MARKER_PREFIX = 'kmap-lab:';

export interface VmFiles {
  dir: string;
  qmp: string;
  console: string;
  agent: string;
  pidfile: string;
  disk: string;
}

export function vmFiles(dir: string): VmFiles {
  return {
    dir,
    qmp: path.join(dir, 'qmp.sock'),
    console: path.join(dir, 'console.sock'),
    agent: path.join(dir, 'agent.sock'),
    pidfile: path.join(dir, 'qemu.pid'),
    disk: path.join(dir, 'disk.img'),
  };
}

/**
 * The launch description shared by the snapshot VM (`ramShared`, real kernel) and its clones
 * (private RAM mapping, stub kernel: a restored VM never boots, so QEMU need not hold the
 * 66 MB vmlinux and 40 MB initramfs in its heap).
 */
export function launchFor(
  image: ImageManifest,
  variant: SnapshotVariant,
  accel: Accel,
  files: VmFiles,
  marker: string,
  ram: { file: string; shared: boolean },
): QemuLaunch {
  return {
    arch: image.arch,
    accel,
    memoryMiB: SNAPSHOT_MEMORY_MIB,
    tbSizeMiB: SNAPSHOT_TB_SIZE_MIB,
    kernel: ram.shared ? image.kernel : image.stubKernel,
    initrd: ram.shared ? image.initrd : image.stubInitrd,
    ramFile: ram.file,
    ramShared: ram.shared,
    variant,
    qmpSocket: files.qmp,
    consoleSocket: files.console,
    agentSocket: files.agent,
    pidfile: files.pidfile,
    marker,
    ...(variant.disk ? { diskImage: files.disk } : {}),
    sandbox: 'strict',
  };
}

/** The command line a snapshot depends on, with per-VM paths blanked (part of the snapshot hash). */
export function snapshotShape(image: ImageManifest, variant: SnapshotVariant, accel: Accel): string[] {
  const c = buildQemuCommand(launchFor(image, variant, accel, vmFiles('/VM'), `${MARKER_PREFIX}X`, { file: '/RAM', shared: true }));
  return [c.command, ...c.args.filter((a) => a !== 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny')];
}

/** Spawns QEMU (argv array, never a shell); an inherited fd carries the incoming snapshot. */
export function spawnQemu(cmd: Command, cwd: string, incomingFd?: number): ChildProcess {
  const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'ignore', 'pipe'];
  if (incomingFd !== undefined) stdio.push(incomingFd);
  const child = spawn(cmd.command, cmd.args, { cwd, stdio, detached: false });
  child.on('error', () => {});
  return child;
}

/**
 * Mounts the session's lab disk at /mnt/lab: the VM was snapshotted with a blank disk, so first
 * drop its cached blocks; then hand the seed files (they carry the host's owners) to the lab user
 * and commit, so the starting state is durable before the learner touches anything. One agent
 * round trip instead of four: each costs tens of ms right after a restore (the emulator translates
 * the guest's code afresh). A lab's own snapshot is taken with its seeded disk already mounted, so
 * its sessions skip this (images/snapshot.ts).
 */
export async function mountLabDisk(agent: AgentClient, user: LabUser, timeoutMs = 10_000): Promise<void> {
  const script = [
    'blockdev --flushbufs /dev/vda',
    'mount -t ext4 -o commit=600 /dev/vda /mnt/lab || exit 3',
    'if [ "$1" != root ]; then chown -R "$1:$1" /mnt/lab || exit 4; fi',
    'sync',
  ].join('\n');
  const r = await agent.exec(['/bin/sh', '-c', script, 'mount-lab-disk', user], { timeoutMs });
  if (r.exitCode !== 0) throw new Error(`mounting the lab disk failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
}
