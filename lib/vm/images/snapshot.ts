import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentClient } from '../agent-client';
import { SocketConsole } from '../console';
import { makeBlankDisk } from '../disk';
import {
  launchFor,
  MARKER_PREFIX,
  PROMPT,
  SNAPSHOT_MEMORY_MIB,
  SNAPSHOT_RECIPE_VERSION,
  SNAPSHOT_TB_SIZE_MIB,
  snapshotShape,
  spawnQemu,
  vmFiles,
} from '../launch';
import { runText } from '../proc';
import { type Accel, ARCH_PROFILES, buildQemuCommand, type QemuLaunch, type SnapshotVariant, tiedToParent, variantKey } from '../qemu-args';
import { QmpClient } from '../qmp';
import { connectWhenReady } from '../sockets';
import { type ImageManifest, type SnapshotManifest, SnapshotManifestSchema, contentHash as sha } from './manifest';

/**
 * Taking a snapshot: boot a VM cold from a built image, wait for the prompt and the agent, pause
 * it and save its device state (guest RAM stays in a shared file). Clones restore from it.
 */

const SNAPSHOT_SETTLE_MS = 500;

type BuildLog = (line: string) => void;

export async function ensureSnapshot(
  image: ImageManifest,
  variant: SnapshotVariant,
  accel: Accel,
  cacheDir: string,
  log: BuildLog,
): Promise<SnapshotManifest> {
  const qemuVersion = (await runText(ARCH_PROFILES[image.arch].qemuBinary, ['--version'])).split('\n')[0] ?? '';
  const hash = sha(
    image.hash,
    `recipe:${SNAPSHOT_RECIPE_VERSION}`,
    qemuVersion,
    accel,
    variantKey(variant),
    JSON.stringify(snapshotShape(image, variant, accel)),
  ).slice(0, 16);
  const dir = path.join(cacheDir, 'snapshots', `${image.arch}-${variantKey(variant)}-${hash}`);
  const manifestPath = path.join(dir, 'manifest.json');
  const existing = await fs
    .readFile(manifestPath, 'utf8')
    .then((t) => SnapshotManifestSchema.parse(JSON.parse(t)))
    .catch(() => null);
  if (existing && existsSync(existing.state)) return existing;
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const state = path.join(dir, 'state');
  const ram = path.join(dir, 'ram');
  const { bootMs } = await takeSnapshot({ image, variant, accel, stateFile: state, ramFile: ram, workDir: dir, log });
  await fs.chmod(state, 0o444);
  await fs.chmod(ram, 0o444);
  const manifest: SnapshotManifest = {
    arch: image.arch,
    hash,
    imageHash: image.hash,
    variant,
    accel,
    memoryMiB: SNAPSHOT_MEMORY_MIB,
    tbSizeMiB: SNAPSHOT_TB_SIZE_MIB,
    state,
    ram,
    bytes: (await fs.stat(state)).size,
    bootMs,
    builtAt: new Date().toISOString(),
  };
  await fs.writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  return manifest;
}

/**
 * Boots a VM cold, waits for the prompt and the agent, pauses it and writes its state to
 * `stateFile` (QMP stop + migrate). Used by the image builder.
 */
export async function takeSnapshot(args: {
  image: ImageManifest;
  variant: SnapshotVariant;
  accel: Accel;
  stateFile: string;
  ramFile: string;
  workDir: string;
  log: (l: string) => void;
  /** Run a busy loop this long before snapshotting (KVM probe). */
  busyLoopMs?: number;
}): Promise<{ bootMs: number }> {
  const { image, variant, accel, stateFile, workDir } = args;
  if (!/^[A-Za-z0-9._/-]+$/.test(stateFile)) throw new Error(`unsafe snapshot path ${stateFile}`);
  const files = vmFiles(path.join(workDir, 'boot'));
  await fs.rm(files.dir, { recursive: true, force: true });
  await fs.mkdir(files.dir, { recursive: true });
  if (variant.disk) await makeBlankDisk(files.disk);
  await fs.rm(args.ramFile, { force: true });
  const launch: QemuLaunch = {
    ...launchFor(image, variant, accel, files, `${MARKER_PREFIX}snapshot-build`, { file: args.ramFile, shared: true }),
    sandbox: 'allow-spawn',
  };
  const t0 = Date.now();
  const child = spawnQemu(tiedToParent(buildQemuCommand(launch)), files.dir);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const alive = () => !exited;
  try {
    const qmp = await QmpClient.connect(files.qmp, 30_000, alive);
    const consoleSocket = await connectWhenReady(files.console, 30_000, alive);
    const console = new SocketConsole(consoleSocket);
    const agent = await AgentClient.connect(files.agent, 30_000, alive);
    try {
      await console.waitFor(PROMPT, 180_000);
      for (let i = 0; ; i++) {
        try {
          await agent.ping(1_000);
          break;
        } catch (e) {
          if (i > 60 || exited) throw e;
        }
      }
      const bootMs = Date.now() - t0;
      if (args.busyLoopMs) {
        // The KVM probe: kvm_pvm hosts boot fine and die ~40 s later under load.
        const script = 'end=$(( $(date +%s) + $1 )); while [ $(date +%s) -lt $end ]; do :; done; echo ok';
        const r = await agent.exec(['/bin/sh', '-c', script, 'probe', String(Math.ceil(args.busyLoopMs / 1000))], {
          timeoutMs: args.busyLoopMs + 30_000,
        });
        if (r.stdout.trim() !== 'ok') throw new Error('busy loop failed');
      }
      // Let the boot's last writes settle so every clone starts from a quiet guest.
      await new Promise((r) => setTimeout(r, SNAPSHOT_SETTLE_MS));
      await qmp.execute('stop');
      await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
      await qmp.execute('migrate', { uri: `exec:cat > ${stateFile}` });
      for (;;) {
        const s = await qmp.migrationStatus();
        if (s === 'completed') break;
        if (s === 'failed' || s === 'cancelled') throw new Error(`snapshot migration ${s}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await qmp.execute('quit').catch(() => undefined);
      args.log(
        `[labs:images]   ${image.arch} ${variant.user}${variant.disk ? '+disk' : ''}: booted to a prompt in ${(bootMs / 1000).toFixed(1)} s`,
      );
      return { bootMs };
    } finally {
      agent.close();
      console.close();
      qmp.close();
    }
  } catch (e) {
    throw new Error(`snapshot boot failed: ${(e as Error).message}\n${stderr}`);
  } finally {
    child.kill('SIGKILL');
    await fs.rm(files.dir, { recursive: true, force: true });
  }
}
