import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { probeKvm } from '../kvm';
import { haveCommand, run, runText } from '../proc';
import { type Accel, ARCH_PROFILES, type SnapshotVariant, variantKey } from '../qemu-args';
import { ARCHES, type Arch } from '../schema';
import {
  DEFAULT_VARIANTS,
  defaultCacheDir,
  type ImageManifest,
  ImageManifestSchema,
  type LabImages,
  type LabSnapshotSpec,
  labSetupHash,
  labSnapshotKey,
  labVariant,
  loadCurrentImages,
  contentHash as sha,
  snapshotKey,
} from './manifest';
import { ensureSnapshot, takeSnapshot } from './snapshot';

/**
 * Building guest images (what `npm run labs:images` does): kernel + initramfs per architecture,
 * built from Debian packages only, and a snapshot per (arch, variant) taken after one boot
 * (./snapshot.ts). What exists is described by ./manifest.ts.
 *
 * Everything lives under `<cacheDir>` (default `.cache/labs`, gitignored) in folders named by a
 * content hash of their inputs, so a rebuild happens exactly when an input changed:
 *   apt-answers/<debArch>-<hash>.json  the package list apt-cache resolved, keyed by apt's state
 *   debs/<debArch>/*.deb               apt-get download cache (file names carry versions)
 *   stage/<debArch>-<hash>/            the .debs unpacked with dpkg -x
 *   images/<arch>-<hash>/              kernel, initrd.cpio, manifest.json
 *   snapshots/<arch>-<variant>-<hash>/ state (QEMU migration stream), manifest.json
 *   current.json                       what the last successful build produced
 *   build-status.json                  the build in progress (step n/total), for the Labs page
 * Image hash inputs: BUILDER_VERSION, package names+versions, init, agent source, labkit.h, lab guest
 * sources, the rootfs skeleton, compiler versions. Snapshot hash: image hash, QEMU version,
 * accelerator, variant and the QEMU command line shape.
 */

/** Bump when the build recipe changes in a way the other inputs do not capture. */
export const BUILDER_VERSION = 6;

const ROOT_PACKAGES = ['busybox-static', 'linux-perf', 'strace', 'tcc', 'libc6-dev'];

/**
 * A C compiler for learners: Debian's tcc with the guest's own libc headers, crt files and link
 * scripts, copied whole (minus /usr/share) from these packages, so `tcc -run prog.c` and
 * `tcc -o prog prog.c` work in the guest on both arches (lib/vm/README.md, "tcc").
 */
const TOOLCHAIN_PACKAGES = ['tcc', 'libc6-dev', 'linux-libc-dev', 'libcrypt-dev'];

/** Modules loaded at boot, in addition to what they depend on. */
const WANTED_MODULES = [
  'virtio',
  'virtio_ring',
  'virtio_pci',
  'virtio_console',
  'crc16',
  'crc32c_generic',
  'libcrc32c',
  'mbcache',
  'jbd2',
  'ext4',
  'virtio_blk',
];

export type BuildLog = (line: string) => void;

export interface ImageBuildOptions {
  /** Repository root: where labs/ and lib/vm/guest live. Default: process.cwd(). */
  root?: string;
  /** Default: <root>/.cache/labs */
  cacheDir?: string;
  arches?: readonly Arch[];
  /** Snapshots to take per arch. Default: the student shell without and with a lab disk. */
  variants?: readonly SnapshotVariant[];
  /**
   * Labs to snapshot after their setup (one snapshot per lab and arch, in the lab's shape; the
   * base snapshot of each lab's shape is taken too, for scratch VMs and for a lab whose setup
   * changed since). Omitted: the lab snapshots of the previous build are kept as they are (the
   * runner uses one only while its image and setup hash still match).
   */
  labs?: readonly LabSnapshotSpec[];
  /** Accelerator per arch (default tcg); snapshots are only valid for the accelerator that took them. */
  accel?: Partial<Record<Arch, Accel>>;
  log?: BuildLog;
  /** Install missing host packages with apt-get when running as root (default true). */
  installMissing?: boolean;
  /** Called as each build step starts (for a progress display such as the Labs page's). */
  onStep?: (step: { step: number; total: number; what: string }) => void;
}

class Progress {
  private step = 0;
  private readonly t0 = Date.now();
  constructor(
    private readonly total: number,
    private readonly log: BuildLog,
    private readonly onStep?: ImageBuildOptions['onStep'],
  ) {}
  async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.step++;
    this.onStep?.({ step: this.step, total: this.total, what });
    const n = `${this.step}/${this.total}`;
    const started = Date.now();
    this.log(`[labs:images] step ${n} ${what} …`);
    const r = await fn();
    const secs = (ms: number) => (ms / 1000).toFixed(1);
    this.log(`[labs:images] step ${n} ${what}: done in ${secs(Date.now() - started)} s (elapsed ${secs(Date.now() - this.t0)} s)`);
    return r;
  }
}

/**
 * Builds whatever is missing and returns the images and snapshots. Cached: with unchanged inputs
 * it only resolves package versions (a few seconds of apt-cache) and checks files.
 */
export async function ensureLabImages(opts: ImageBuildOptions = {}): Promise<LabImages> {
  const root = opts.root ?? process.cwd();
  const cacheDir = opts.cacheDir ?? defaultCacheDir(root);
  const arches = opts.arches ?? ARCHES;
  const labs = (opts.labs ?? []).filter((l) => l.setup.trim() !== '');
  const variants = uniqueVariants([...(opts.variants ?? DEFAULT_VARIANTS), ...(opts.labs ?? []).map(labVariant)]);
  const log = opts.log ?? ((l: string) => console.log(l));
  const labSteps = arches.reduce((n, a) => n + labs.filter((l) => l.arches.includes(a)).length, 0);
  const progress = new Progress(1 + arches.length * (6 + variants.length) + labSteps, log, opts.onStep);

  await progress.run('check host tools', () => ensureHostTools(arches, opts.installMissing ?? true, log));
  const result: LabImages = { images: {}, snapshots: {} };
  const previous = await loadCurrentImages(cacheDir);
  if (previous) {
    Object.assign(result.images, previous.images);
    // With a list of labs, it says which lab snapshots exist; without one, keep the last build's.
    for (const [key, snap] of Object.entries(previous.snapshots)) if (!(opts.labs && snap.lab)) result.snapshots[key] = snap;
  }
  for (const arch of arches) {
    const image = await buildImage(arch, root, cacheDir, progress, log);
    result.images[arch] = image;
    const accel = opts.accel?.[arch] ?? (arch === 'x86_64' ? await chooseX86Accel(image, cacheDir, log) : 'tcg');
    for (const variant of variants) {
      result.snapshots[snapshotKey(arch, variant)] = await progress.run(`${arch}: snapshot ${variantKey(variant)} (${accel})`, () =>
        ensureSnapshot(image, variant, accel, cacheDir, log),
      );
    }
    for (const lab of labs.filter((l) => l.arches.includes(arch))) {
      const setup = { labId: lab.labId, setup: lab.setup, setupHash: labSetupHash(lab), diskSeedDir: lab.diskSeed?.dir };
      result.snapshots[labSnapshotKey(arch, lab.labId)] = await progress.run(
        `${arch}: snapshot lab ${lab.labId} after its setup (${accel})`,
        () => ensureSnapshot(image, labVariant(lab), accel, cacheDir, log, setup),
      );
    }
  }
  await fs.mkdir(cacheDir, { recursive: true });
  await collectGarbage(cacheDir, result);
  const tmp = path.join(cacheDir, `current.json.${process.pid}`);
  await fs.writeFile(tmp, JSON.stringify(result, null, 2));
  await fs.rename(tmp, path.join(cacheDir, 'current.json'));
  return result;
}

function uniqueVariants(vs: readonly SnapshotVariant[]): SnapshotVariant[] {
  const byKey = new Map<string, SnapshotVariant>();
  for (const v of vs) if (!byKey.has(variantKey(v))) byKey.set(variantKey(v), v);
  return [...byKey.values()];
}

/**
 * KVM when a real probe says so (cached per image in kvm-probe.json), TCG otherwise.
 * KMAP_LABS_ACCEL=tcg|kvm overrides.
 */
async function chooseX86Accel(image: ImageManifest, cacheDir: string, log: BuildLog): Promise<Accel> {
  const forced = process.env.KMAP_LABS_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return forced;
  const cacheFile = path.join(cacheDir, 'kvm-probe.json');
  const cached = await fs
    .readFile(cacheFile, 'utf8')
    .then((t) => z.object({ imageHash: z.string(), usable: z.boolean(), reason: z.string() }).parse(JSON.parse(t)))
    .catch(() => null);
  if (cached?.imageHash === image.hash) return cached.usable ? 'kvm' : 'tcg';
  const probe = await probeKvm(async () => {
    const dir = path.join(cacheDir, 'kvm-probe');
    await fs.mkdir(dir, { recursive: true });
    try {
      await takeSnapshot({
        image,
        variant: { user: 'student', disk: false },
        accel: 'kvm',
        stateFile: path.join(dir, 'state'),
        ramFile: path.join(dir, 'ram'),
        workDir: dir,
        log,
        busyLoopMs: 45_000,
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
  log(`[labs:images] KVM for x86_64: ${probe.usable ? 'yes' : 'no'} (${probe.reason})`);
  await fs.writeFile(cacheFile, JSON.stringify({ imageHash: image.hash, ...probe }));
  return probe.usable ? 'kvm' : 'tcg';
}

/**
 * Removes image and snapshot folders that are no longer current and untouched for an hour (a
 * running server may still restore from the previous build for a while; files it has open stay
 * valid after unlinking anyway).
 */
async function collectGarbage(cacheDir: string, current: LabImages): Promise<void> {
  const keep = new Set([
    ...Object.values(current.images).map((i) => path.dirname(i.kernel)),
    ...Object.values(current.snapshots).map((s) => path.dirname(s.state)),
  ]);
  for (const sub of ['images', 'snapshots']) {
    const dir = path.join(/*turbopackIgnore: true*/ cacheDir, sub);
    for (const name of await fs.readdir(/*turbopackIgnore: true*/ dir).catch(() => [] as string[])) {
      const p = path.join(/*turbopackIgnore: true*/ dir, name);
      if (keep.has(p)) continue;
      const st = await fs.stat(/*turbopackIgnore: true*/ p).catch(() => null);
      if (st && Date.now() - st.mtimeMs > 3_600_000) await fs.rm(p, { recursive: true, force: true });
    }
  }
}

/* ------------------------------------------------------------------ host tools */

const HOST_TOOLS: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-system-aarch64': 'qemu-system-arm',
  'qemu-img': 'qemu-utils',
  gcc: 'gcc',
  'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu',
  cpio: 'cpio',
  zstd: 'zstd',
  xz: 'xz-utils',
  modinfo: 'kmod',
  readelf: 'binutils',
  'mkfs.ext4': 'e2fsprogs',
  e2fsck: 'e2fsprogs',
  debugfs: 'e2fsprogs',
  setpriv: 'util-linux',
  'apt-get': 'apt',
  'dpkg-deb': 'dpkg',
  // The memory-ordering lab's grader compiles the learner's C in a bubblewrap sandbox.
  bwrap: 'bubblewrap',
  'aarch64-linux-gnu-objdump': 'binutils-aarch64-linux-gnu',
};

async function ensureHostTools(arches: readonly Arch[], install: boolean, log: BuildLog): Promise<void> {
  const missing = new Set<string>();
  for (const [tool, pkg] of Object.entries(HOST_TOOLS)) if (!haveCommand(tool)) missing.add(pkg);
  if (!existsSync('/usr/share/qemu/qboot.rom')) missing.add('qemu-system-x86');
  if (!existsSync('/usr/aarch64-linux-gnu/lib/libc.a')) missing.add('libc6-dev-arm64-cross');
  if (!existsSync('/usr/lib/x86_64-linux-gnu/libc.a')) missing.add('libc6-dev');
  const foreign = (await runText('dpkg', ['--print-foreign-architectures'])).split('\n');
  const needArm =
    arches.includes('aarch64') && !foreign.includes('arm64') && (await runText('dpkg', ['--print-architecture'])).trim() !== 'arm64';
  const isRoot = process.getuid?.() === 0;
  if (missing.size === 0 && !needArm) return;
  const pkgs = [...missing].sort();
  const commands = [
    ...(needArm ? ['dpkg --add-architecture arm64'] : []),
    'apt-get update',
    ...(pkgs.length ? [`apt-get install -y --no-install-recommends ${pkgs.join(' ')}`] : []),
  ];
  if (!install || !isRoot) {
    throw new Error(`Host packages are missing. As root, run:\n  ${commands.join('\n  ')}`);
  }
  log(`[labs:images] installing host packages: ${commands.join(' && ')}`);
  if (needArm) await run('dpkg', ['--add-architecture', 'arm64']);
  await run('apt-get', ['update']);
  if (pkgs.length)
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
}

/* ------------------------------------------------------------------ packages */

interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** The file name apt-get download gives it. */
  file: string;
}

async function resolvePackages(debArch: string): Promise<{ kernelRelease: string; packages: DebPackage[] }> {
  const native = (await runText('dpkg', ['--print-architecture'])).trim();
  const q = (n: string) => `${n}:${debArch}`;
  const meta = await runText('apt-cache', ['depends', q(`linux-image-${debArch}`)]);
  const m = /Depends: (linux-image-(\d[^\s:]*))/.exec(meta);
  if (!m?.[1] || !m[2]) throw new Error(`cannot find the kernel ABI for ${debArch} in: ${meta}`);
  const kernelPkg = m[1].replace(/:.*$/, '');
  const kernelRelease = m[2].replace(/:.*$/, '');
  const deps = await runText('apt-cache', [
    'depends',
    '--recurse',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
    ...ROOT_PACKAGES.map(q),
  ]);
  const names = new Set<string>();
  for (const line of deps.split('\n')) {
    if (!line || line.startsWith(' ') || line.startsWith('<')) continue;
    const [name, arch] = line.trim().split(':');
    if (!name) continue;
    if (arch === debArch || (arch === undefined && debArch === native)) names.add(name);
  }
  names.add(kernelPkg);
  const show = await runText('apt-cache', ['show', '--no-all-versions', ...[...names].sort().map(q)]);
  const packages: DebPackage[] = [];
  for (const stanza of show.split(/\n\n+/)) {
    const field = (f: string) => new RegExp(`^${f}: (.*)$`, 'm').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    const architecture = field('Architecture');
    if (!name || !version || !architecture) continue;
    packages.push({ name, version, architecture, file: `${name}_${version.replace(/:/g, '%3a')}_${architecture}.deb` });
  }
  packages.sort((a, b) => a.name.localeCompare(b.name));
  return { kernelRelease, packages };
}

/**
 * `resolvePackages`, remembered under the state apt answers from: the package lists apt-get update
 * fetched (names, sizes, times), the configured sources, the installed-package database and the
 * architectures. Asking apt-cache takes ~20 s per architecture; with nothing changed a restart
 * reads the answer back instead. Any apt-get update or install changes the key.
 */
async function resolvePackagesCached(debArch: string, cacheDir: string): Promise<{ kernelRelease: string; packages: DebPackage[] }> {
  const key = await aptStateHash(debArch);
  const file = path.join(cacheDir, 'apt-answers', `${debArch}-${key}.json`);
  const answerSchema = z.object({
    kernelRelease: z.string(),
    packages: z.array(z.object({ name: z.string(), version: z.string(), architecture: z.string(), file: z.string() })),
  });
  const cached = await fs
    .readFile(file, 'utf8')
    .then((t) => answerSchema.parse(JSON.parse(t)))
    .catch(() => null);
  if (cached) return cached;
  const answer = await resolvePackages(debArch);
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  for (const old of await fs.readdir(dir)) if (old.startsWith(`${debArch}-`)) await fs.rm(path.join(dir, old), { force: true });
  await fs.writeFile(`${file}.tmp`, JSON.stringify(answer));
  await fs.rename(`${file}.tmp`, file);
  return answer;
}

async function aptStateHash(debArch: string): Promise<string> {
  const stats: string[] = [];
  const statOf = async (f: string) => {
    const st = await fs.stat(f).catch(() => null);
    if (st?.isFile()) stats.push(`${f}:${st.size}:${st.mtimeMs}`);
  };
  for (const dir of ['/var/lib/apt/lists', '/etc/apt/sources.list.d', '/etc/apt/preferences.d'])
    for (const name of (await fs.readdir(/*turbopackIgnore: true*/ dir).catch(() => [] as string[])).sort())
      await statOf(path.join(/*turbopackIgnore: true*/ dir, name));
  for (const f of ['/etc/apt/sources.list', '/var/lib/dpkg/status', '/var/lib/dpkg/arch']) await statOf(f);
  return sha(`apt-answer:1`, debArch, JSON.stringify(ROOT_PACKAGES), ...stats).slice(0, 16);
}

async function downloadPackages(debArch: string, packages: DebPackage[], cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, 'debs', debArch);
  await fs.mkdir(dir, { recursive: true });
  const missing = packages.filter((p) => !existsSync(path.join(dir, p.file)));
  if (missing.length)
    await run(
      'apt-get',
      ['download', ...missing.map((p) => `${p.name}:${p.architecture === 'all' ? debArch : p.architecture}=${p.version}`)],
      { cwd: dir },
    );
  for (const p of packages) if (!existsSync(path.join(dir, p.file))) throw new Error(`apt-get download did not produce ${p.file}`);
  return dir;
}

async function unpackPackages(debArch: string, debDir: string, packages: DebPackage[], cacheDir: string): Promise<string> {
  const stage = path.join(cacheDir, 'stage', `${debArch}-${sha(...packages.map((p) => p.file)).slice(0, 16)}`);
  if (existsSync(path.join(stage, '.complete'))) return stage;
  await fs.rm(stage, { recursive: true, force: true });
  await fs.mkdir(stage, { recursive: true });
  for (const p of packages) await run('dpkg', ['-x', path.join(debDir, p.file), stage]);
  await fs.writeFile(path.join(stage, '.complete'), '');
  return stage;
}

/* ------------------------------------------------------------------ kernel */

/** Finds the compressed payload in an x86 bzImage and inflates it to the ELF vmlinux (PVH boot). */
async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  const data = await fs.readFile(bzImage);
  const candidates: [Buffer, string, string[]][] = [
    [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz', ['-dc']],
    [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd', ['-dcq']],
    [Buffer.from([0x1f, 0x8b, 0x08]), 'gzip', ['-dc']],
  ];
  for (const [magic, tool, args] of candidates) {
    for (let at = data.indexOf(magic); at !== -1; at = data.indexOf(magic, at + 1)) {
      const tmp = `${out}.tmp`;
      const fh = await fs.open(tmp, 'w');
      try {
        // Trailing bytes after the stream make the tool complain; the ELF check below decides.
        await run(tool, args, { input: data.subarray(at), stdoutFd: fh.fd, okCodes: [0, 1, 2] }).catch(() => undefined);
      } finally {
        await fh.close();
      }
      const head = Buffer.alloc(4);
      const rh = await fs.open(tmp, 'r');
      await rh.read(head, 0, 4, 0);
      await rh.close();
      if (head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
        await fs.rename(tmp, out);
        return;
      }
      await fs.rm(tmp, { force: true });
    }
  }
  throw new Error(`no compressed vmlinux found in ${bzImage}`);
}

async function prepareKernel(arch: Arch, stage: string, release: string, out: string): Promise<void> {
  const vmlinuz = path.join(stage, 'boot', `vmlinuz-${release}`);
  if (arch === 'x86_64') return extractVmlinux(vmlinuz, out);
  const data = await fs.readFile(vmlinuz);
  // arm64 ships an uncompressed Image (33 MB); inflate if a future kernel ships Image.gz.
  await fs.writeFile(out, data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data);
}

/* ------------------------------------------------------------------ modules */

async function walk(dir: string, visit: (file: string) => void): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p, visit);
    else visit(p);
  }
}

/** Module files in load order (dependencies first); built-in modules are skipped. */
async function moduleLoadOrder(stage: string, release: string): Promise<string[]> {
  const modDir = path.join(stage, 'lib', 'modules', release);
  const byName = new Map<string, string>();
  await walk(path.join(modDir, 'kernel'), (f) => {
    if (f.endsWith('.ko')) byName.set(path.basename(f, '.ko').replace(/-/g, '_'), f);
  });
  const builtin = new Set(
    (await fs.readFile(path.join(modDir, 'modules.builtin'), 'utf8').catch(() => ''))
      .split('\n')
      .map((l) => path.basename(l, '.ko').replace(/-/g, '_')),
  );
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = async (name: string, chain: string[]): Promise<void> => {
    const n = name.replace(/-/g, '_');
    if (seen.has(n)) return;
    seen.add(n);
    const file = byName.get(n);
    if (!file) {
      if (builtin.has(n)) return;
      throw new Error(`module ${n} (needed by ${chain.join(' → ') || 'the image'}) is neither a module nor built in`);
    }
    const deps = (await runText('modinfo', ['-F', 'depends', file])).trim();
    for (const d of deps.split(',').filter(Boolean)) await visit(d, [...chain, n]);
    order.push(file);
  };
  for (const m of WANTED_MODULES) await visit(m, []);
  return order;
}

/* ------------------------------------------------------------------ shared libraries */

async function elfInfo(file: string): Promise<{ needed: string[]; runpath: string[]; interp: string | null }> {
  const dyn = await runText('readelf', ['-d', '-W', file]).catch(() => '');
  const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1] ?? '');
  const runpath = [...dyn.matchAll(/\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[([^\]]+)\]/g)].flatMap((m) =>
    (m[1] ?? '').split(':'),
  );
  const hdr = await runText('readelf', ['-l', '-W', file]).catch(() => '');
  const interp = /Requesting program interpreter: ([^\]]+)\]/.exec(hdr)?.[1] ?? null;
  return { needed, runpath, interp };
}

/**
 * The NEEDED closure of `binaries` inside the staging tree, as paths relative to the tree
 * (including the ELF interpreter).
 */
async function libraryClosure(stage: string, triplet: string, binaries: string[]): Promise<string[]> {
  const searchDirs = [`lib/${triplet}`, `usr/lib/${triplet}`, 'lib', 'usr/lib', `lib/${triplet}/perf`];
  const found = new Set<string>();
  const queue = [...binaries];
  while (queue.length) {
    const rel = queue.shift() ?? '';
    const info = await elfInfo(path.join(stage, rel));
    if (info.interp) {
      const interpRel = info.interp.replace(/^\//, '');
      if (!found.has(interpRel)) {
        found.add(interpRel);
      }
    }
    const dirs = [...info.runpath.map((r) => r.replace('$ORIGIN', path.dirname(`/${rel}`)).replace(/^\//, '')), ...searchDirs];
    for (const lib of info.needed) {
      const hit = dirs.map((d) => path.join(d, lib)).find((p) => existsSync(path.join(stage, p)));
      if (!hit) throw new Error(`${lib} (NEEDED by ${rel}) not found in the staged packages`);
      if (found.has(hit)) continue;
      found.add(hit);
      queue.push(hit);
    }
  }
  return [...found].sort();
}

/* ------------------------------------------------------------------ guest programs */

interface LabProgram {
  lab: string;
  name: string;
  source: string;
}

async function labPrograms(root: string): Promise<LabProgram[]> {
  const labsDir = path.join(root, 'labs');
  const out: LabProgram[] = [];
  const labs = await fs.readdir(labsDir, { withFileTypes: true }).catch(() => []);
  for (const lab of labs) {
    if (!lab.isDirectory() || !/^[a-z0-9][a-z0-9-]{0,47}$/.test(lab.name)) continue;
    const guest = path.join(labsDir, lab.name, 'guest');
    const files = await fs.readdir(guest).catch(() => []);
    for (const f of files.sort()) {
      if (!/^[a-z0-9][a-z0-9_-]{0,47}\.c$/.test(f)) continue;
      out.push({ lab: lab.name, name: f.slice(0, -2), source: path.join(guest, f) });
    }
  }
  return out.sort((a, b) => `${a.lab}/${a.name}`.localeCompare(`${b.lab}/${b.name}`));
}

interface LabExtra {
  lab: string;
  kind: 'lib' | 'include';
  name: string;
  source: string;
}

/** labs/<lab>/guest/lib/*.c (compiled to /opt/labs/<lab>/lib/*.o) and guest/include/*.h (copied). */
async function labExtras(root: string): Promise<LabExtra[]> {
  const out: LabExtra[] = [];
  const labs = await fs.readdir(path.join(root, 'labs'), { withFileTypes: true }).catch(() => []);
  for (const lab of labs) {
    if (!lab.isDirectory() || !/^[a-z0-9][a-z0-9-]{0,47}$/.test(lab.name)) continue;
    for (const [kind, ext] of [
      ['lib', '.c'],
      ['include', '.h'],
    ] as const) {
      const dir = path.join(root, 'labs', lab.name, 'guest', kind);
      for (const f of (await fs.readdir(dir).catch(() => [])).sort())
        if (new RegExp(`^[a-z0-9][a-z0-9_-]{0,47}\\${ext}$`).test(f)) out.push({ lab: lab.name, kind, name: f, source: path.join(dir, f) });
    }
  }
  return out.sort((a, b) => `${a.lab}/${a.kind}/${a.name}`.localeCompare(`${b.lab}/${b.kind}/${b.name}`));
}

/* ------------------------------------------------------------------ rootfs skeleton */

const SKELETON: Record<string, { mode: number; content: string }> = {
  'etc/passwd': { mode: 0o644, content: 'root:x:0:0:root:/root:/bin/sh\nstudent:x:1000:1000:Lab user:/home/student:/bin/sh\n' },
  'etc/group': { mode: 0o644, content: 'root:x:0:\ntty:x:5:\ntracing:x:900:student\nstudent:x:1000:\n' },
  'etc/shadow': { mode: 0o600, content: 'root:!:19000::::::\nstudent:!:19000::::::\n' },
  'etc/hostname': { mode: 0o644, content: 'kmap\n' },
  'etc/hosts': { mode: 0o644, content: '127.0.0.1 localhost kmap\n::1 localhost\n' },
  'etc/profile': {
    mode: 0o644,
    content: [
      'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/labs/bin',
      'export TERM=xterm-256color',
      'export LANG=C.UTF-8',
      "export PS1='\\u@kmap:\\w\\$ '",
      'umask 022',
      'cd "$HOME" 2>/dev/null',
      '',
    ].join('\n'),
  },
};

/* ------------------------------------------------------------------ image */

async function buildImage(arch: Arch, root: string, cacheDir: string, progress: Progress, log: BuildLog): Promise<ImageManifest> {
  const p = ARCH_PROFILES[arch];
  const { kernelRelease, packages } = await progress.run(`${arch}: resolve packages`, () => resolvePackagesCached(p.debArch, cacheDir));
  const initSource = await fs.readFile(path.join(root, 'lib/vm/guest/init'));
  const agentSource = await fs.readFile(path.join(root, 'lib/vm/guest/agent.c'));
  const stubSource = await fs.readFile(path.join(root, 'lib/vm/guest/pvh-stub.S'));
  const labkitSource = await fs.readFile(path.join(root, 'lib/vm/guest/labkit.h'));
  const programs = await labPrograms(root);
  const extras = await labExtras(root);
  const programHashes = await Promise.all(
    [...programs, ...extras].map(async (pr) => `${pr.lab}/${pr.name}:${sha(await fs.readFile(pr.source))}`),
  );
  const ccVersion = (await runText(p.cc, ['--version'])).split('\n')[0] ?? '';
  const hash = sha(
    `builder:${BUILDER_VERSION}`,
    arch,
    ...packages.map((x) => x.file),
    initSource,
    agentSource,
    stubSource,
    labkitSource,
    ...programHashes,
    JSON.stringify(SKELETON),
    JSON.stringify(WANTED_MODULES),
    ccVersion,
  ).slice(0, 16);
  const dir = path.join(cacheDir, 'images', `${arch}-${hash}`);
  const manifestPath = path.join(dir, 'manifest.json');
  const existing = await fs
    .readFile(manifestPath, 'utf8')
    .then((t) => ImageManifestSchema.parse(JSON.parse(t)))
    .catch(() => null);
  if (existing && [existing.kernel, existing.initrd, existing.stubKernel, existing.stubInitrd].every((f) => existsSync(f))) {
    for (let i = 0; i < 5; i++) await progress.run(`${arch}: image ${hash} is cached`, async () => {});
    return existing;
  }

  const debDir = await progress.run(`${arch}: download ${packages.length} packages`, () => downloadPackages(p.debArch, packages, cacheDir));
  const stage = await progress.run(`${arch}: unpack packages`, () => unpackPackages(p.debArch, debDir, packages, cacheDir));
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const kernel = path.join(dir, 'kernel');
  await progress.run(`${arch}: kernel ${kernelRelease}${arch === 'x86_64' ? ' (extract vmlinux for PVH)' : ''}`, () =>
    prepareKernel(arch, stage, kernelRelease, kernel),
  );

  const stubKernel = path.join(dir, 'stub-kernel');
  const stubInitrd = path.join(dir, 'stub-initrd');
  if (arch === 'x86_64') {
    // A PVH ELF, so QEMU picks the same option ROM (pvh.bin) as for the real kernel.
    await run('gcc', [
      '-m32',
      '-nostdlib',
      '-static',
      '-no-pie',
      '-Wl,--build-id=none',
      '-Wl,-Ttext=0x100000',
      '-o',
      stubKernel,
      path.join(root, 'lib/vm/guest/pvh-stub.S'),
    ]);
  } else {
    // An arm64 Image header ("ARM\x64" at 0x38, image_size at 0x10) and nothing else.
    const img = Buffer.alloc(4096);
    img.writeBigUInt64LE(4096n, 0x10);
    img.write('ARM\x64', 0x38, 'latin1');
    await fs.writeFile(stubKernel, img);
  }
  await fs.writeFile(stubInitrd, Buffer.alloc(512));

  const tree = path.join(dir, 'rootfs');
  await progress.run(`${arch}: compile agent + ${programs.length} lab programs (static)`, async () => {
    await fs.mkdir(path.join(tree, 'sbin'), { recursive: true });
    await run(p.cc, ['-static', '-O2', '-Wall', '-o', path.join(tree, 'sbin', 'kmap-agent'), path.join(root, 'lib/vm/guest/agent.c')]);
    await fs.chmod(path.join(tree, 'sbin', 'kmap-agent'), 0o700);
    for (const pr of programs) {
      const outDir = path.join(tree, 'opt', 'labs', pr.lab);
      await fs.mkdir(path.join(outDir, 'src'), { recursive: true });
      await run(p.cc, [
        '-static',
        '-O2',
        '-g',
        '-pthread',
        '-I',
        path.join(root, 'lib/vm/guest'),
        '-o',
        path.join(outDir, pr.name),
        pr.source,
      ]);
      await fs.copyFile(pr.source, path.join(outDir, 'src', `${pr.name}.c`));
      // The helpers it shares with the other lab programs, beside it, so the source reads whole.
      if ((await fs.readFile(pr.source, 'utf8')).includes('#include "labkit.h"'))
        await fs.writeFile(path.join(outDir, 'src', 'labkit.h'), labkitSource);
    }
    // Objects and headers a lab's own rebuild links with tcc (e.g. memory-ordering's atomics).
    for (const ex of extras) {
      const outDir = path.join(tree, 'opt', 'labs', ex.lab, ex.kind);
      await fs.mkdir(outDir, { recursive: true });
      if (ex.kind === 'include') await fs.copyFile(ex.source, path.join(outDir, ex.name));
      else
        await run(p.cc, [
          '-O2',
          '-c',
          '-fno-jump-tables',
          '-fno-stack-protector',
          '-fno-asynchronous-unwind-tables',
          '-o',
          path.join(outDir, `${ex.name.slice(0, -2)}.o`),
          ex.source,
        ]);
    }
  });

  const initrd = path.join(dir, 'initrd.cpio');
  await progress.run(`${arch}: initramfs (busybox, perf, strace, tcc, libraries, modules, init)`, async () => {
    const copy = async (rel: string, to: string = rel, mode?: number) => {
      const dest = path.join(tree, to);
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.copyFile(await fs.realpath(path.join(stage, rel)), dest);
      if (mode !== undefined) await fs.chmod(dest, mode);
    };
    for (const d of [
      'bin',
      'sbin',
      'usr/bin',
      'usr/sbin',
      'proc',
      'sys',
      'dev',
      'run',
      'tmp',
      'root',
      'home/student',
      'mnt/lab',
      'opt/labs/bin',
      'etc',
      'var/tmp',
    ])
      await fs.mkdir(path.join(tree, d), { recursive: true });
    await fs.chmod(path.join(tree, 'root'), 0o700);
    await copy('bin/busybox', 'bin/busybox', 0o755);
    await copy('usr/bin/perf', 'usr/bin/perf', 0o755);
    await copy('usr/bin/strace', 'usr/bin/strace', 0o755);
    for (const lib of await libraryClosure(stage, p.triplet, ['usr/bin/perf', 'usr/bin/strace'])) await copy(lib);
    const before = await treeBytes(tree);
    for (const name of TOOLCHAIN_PACKAGES) {
      const deb = packages.find((x) => x.name === name);
      if (!deb) throw new Error(`${name} is not among the resolved ${p.debArch} packages`);
      for (const [rel, bytes] of await debPaths(path.join(debDir, deb.file)))
        if (toolchainWants(rel, bytes)) await copyAsIs(stage, tree, rel);
    }
    // The shared libraries libc6-dev's link scripts and .so links name (libc, libm, libpthread, …),
    // from libc6 itself — not its 8 MB of gconv modules.
    const libc6 = packages.find((x) => x.name === 'libc6');
    if (!libc6) throw new Error(`libc6 is not among the resolved ${p.debArch} packages`);
    for (const [rel] of await debPaths(path.join(debDir, libc6.file)))
      if (rel.startsWith(`lib/${p.triplet}/`) && /\.so(\.\d+)*$/.test(rel)) await copyAsIs(stage, tree, rel);
    log(
      `[labs:images]   ${arch}: tcc + libc headers and link files add ${(((await treeBytes(tree)) - before) / 1e6).toFixed(1)} MB to the initramfs`,
    );
    const modules = await moduleLoadOrder(stage, kernelRelease);
    await fs.mkdir(path.join(tree, 'lib/modules'), { recursive: true });
    for (const m of modules) await fs.copyFile(m, path.join(tree, 'lib/modules', path.basename(m)));
    await fs.writeFile(path.join(tree, 'lib/modules/load-order'), `${modules.map((m) => path.basename(m, '.ko')).join('\n')}\n`);
    for (const [rel, f] of Object.entries(SKELETON)) {
      await fs.writeFile(path.join(tree, rel), f.content);
      await fs.chmod(path.join(tree, rel), f.mode);
    }
    await fs.symlink('/proc/mounts', path.join(tree, 'etc/mtab'));
    for (const pr of programs) await fs.symlink(`../${pr.lab}/${pr.name}`, path.join(tree, 'opt/labs/bin', pr.name)).catch(() => undefined);
    await fs.writeFile(path.join(tree, 'init'), initSource);
    await fs.chmod(path.join(tree, 'init'), 0o755);
    const files: string[] = [];
    await collectPaths(tree, '.', files);
    const fh = await fs.open(initrd, 'w');
    try {
      await run('cpio', ['--quiet', '-o', '-H', 'newc', '-R', '0:0'], {
        cwd: tree,
        input: `${files.sort().join('\n')}\n`,
        stdoutFd: fh.fd,
      });
    } finally {
      await fh.close();
    }
    await fs.rm(tree, { recursive: true, force: true });
  });

  const manifest: ImageManifest = {
    arch,
    hash,
    kernelRelease,
    kernel,
    initrd,
    stubKernel,
    stubInitrd,
    packages: packages.map((x) => x.file),
    labPrograms: programs.map((pr) => `${pr.lab}/${pr.name}`),
    builtAt: new Date().toISOString(),
  };
  await fs.writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  return manifest;
}

/** The files and symlinks a .deb installs, relative to /, with their sizes (directories left out). */
async function debPaths(deb: string): Promise<[string, number][]> {
  const listing = await runText('dpkg-deb', ['-c', deb]);
  const out: [string, number][] = [];
  for (const line of listing.split('\n')) {
    const m = /^([-l])\S*\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\.\/(.+?)(?: -> .*)?$/.exec(line);
    if (m?.[3]) out.push([m[3], Number(m[2])]);
  }
  return out;
}

/**
 * The part of the toolchain packages a learner's `tcc` needs: headers, crt files, link scripts,
 * .so links and the small archives (libc_nonshared.a, the empty libpthread/libdl/librt stubs).
 * Left out: documentation, the static C library (libc.a 5 MB, libm.a — tcc links dynamically),
 * glibc's audit modules, and kernel uapi headers no libc header includes (drm, rdma, sound, …).
 * With everything, the arm64 initramfs no longer unpacked in 256 MiB ("Initramfs unpacking
 * failed: write error").
 */
function toolchainWants(rel: string, bytes: number): boolean {
  if (rel.startsWith('usr/share/')) return false;
  if (rel.endsWith('.a') && bytes > 64 * 1024) return false;
  if (/^usr\/lib\/[^/]+\/audit\//.test(rel)) return false;
  if (/^usr\/include\/(drm|rdma|sound|xen|mtd|video|misc)\//.test(rel)) return false;
  return true;
}

/** Copies one path from the staging tree, a symlink as the same symlink, a file with its mode. */
async function copyAsIs(stage: string, tree: string, rel: string): Promise<void> {
  const from = path.join(stage, rel);
  const to = path.join(tree, rel);
  const st = await fs.lstat(to).catch(() => null);
  if (st) return;
  const src = await fs.lstat(from);
  await fs.mkdir(path.dirname(to), { recursive: true });
  if (src.isSymbolicLink()) await fs.symlink(await fs.readlink(from), to);
  else {
    await fs.copyFile(from, to);
    await fs.chmod(to, src.mode & 0o7777);
  }
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await treeBytes(p);
    else if (e.isFile()) total += (await fs.stat(p)).size;
  }
  return total;
}

async function collectPaths(base: string, rel: string, out: string[]): Promise<void> {
  for (const e of await fs.readdir(path.join(base, rel), { withFileTypes: true })) {
    const r = rel === '.' ? e.name : `${rel}/${e.name}`;
    out.push(r);
    if (e.isDirectory()) await collectPaths(base, r, out);
  }
}
