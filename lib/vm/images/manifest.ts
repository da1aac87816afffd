import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type SnapshotVariant, variantKey } from '../qemu-args';
import type { Arch } from '../schema';

/**
 * What exists: the manifests of built guest images and snapshots under `<cacheDir>` and the
 * `current.json` that names the ones in use. Read by the runner at start; written by the image
 * build (./build.ts) and the snapshot step (./snapshot.ts).
 */

export const DEFAULT_VARIANTS: readonly SnapshotVariant[] = [
  { user: 'student', disk: false },
  { user: 'student', disk: true },
];

/**
 * What the image build needs to snapshot one lab after its setup: the lab's shape and its
 * snapshot-time setup script (run as root once, at build time; the seed-dependent part runs per
 * session after the restore). lib/content derives it from lab.yaml (`labSnapshotSpec`).
 */
export interface LabSnapshotSpec {
  labId: string;
  arches: readonly Arch[];
  user: 'student' | 'root';
  disk: boolean;
  vcpus: number;
  /**
   * The lab disk's seed folder (host) and a hash of its files: a lab snapshot with a disk is taken
   * with the seeded disk mounted, and sessions get a copy of that image.
   */
  diskSeed?: { dir: string; hash: string };
  /** POSIX sh, run as root through the agent before the snapshot is taken (after the disk is mounted). */
  setup: string;
}

/**
 * Names a lab's snapshot-time setup and shape: a lab snapshot is used only when the lab being
 * started has the same hash, so an edited setup falls back to "restore, then run the setup"
 * until `labs:images` took a new snapshot.
 */
export function labSetupHash(spec: Omit<LabSnapshotSpec, 'arches'>): string {
  return contentHash(
    'lab-setup:1',
    spec.labId,
    spec.user,
    spec.disk ? 'disk' : 'nodisk',
    String(spec.vcpus),
    spec.diskSeed?.hash ?? 'no-seed',
    spec.setup,
  ).slice(0, 16);
}

export function labVariant(spec: Pick<LabSnapshotSpec, 'user' | 'disk' | 'vcpus'>): SnapshotVariant {
  return { user: spec.user, disk: spec.disk, ...(spec.vcpus === 1 ? {} : { vcpus: spec.vcpus }) };
}

export const ImageManifestSchema = z.object({
  arch: z.enum(['x86_64', 'aarch64']),
  hash: z.string(),
  kernelRelease: z.string(),
  kernel: z.string(),
  initrd: z.string(),
  /** Tiny stand-ins passed to restored VMs: same boot protocol, nothing to load into memory. */
  stubKernel: z.string(),
  stubInitrd: z.string(),
  packages: z.array(z.string()),
  labPrograms: z.array(z.string()),
  builtAt: z.string(),
});
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

export const SnapshotManifestSchema = z.object({
  arch: z.enum(['x86_64', 'aarch64']),
  hash: z.string(),
  imageHash: z.string(),
  variant: z.object({ user: z.enum(['student', 'root']), disk: z.boolean(), vcpus: z.number().int().min(1).optional() }),
  /** Set on a lab's own snapshot, taken after that lab's snapshot-time setup ran. */
  lab: z.object({ id: z.string(), setupHash: z.string() }).optional(),
  /** A lab snapshot's disk image as it was when the snapshot was taken (0444); sessions copy it. */
  disk: z.string().optional(),
  accel: z.enum(['tcg', 'kvm']),
  memoryMiB: z.number(),
  tbSizeMiB: z.number(),
  state: z.string(),
  /** Guest RAM at the moment of the snapshot; clones map it copy-on-write. */
  ram: z.string(),
  bytes: z.number(),
  bootMs: z.number(),
  builtAt: z.string(),
});
export type SnapshotManifest = z.infer<typeof SnapshotManifestSchema>;

export const LabImagesSchema = z.object({
  images: z.record(z.string(), ImageManifestSchema),
  snapshots: z.record(z.string(), SnapshotManifestSchema),
});
/** What the runner needs: image and snapshot files per arch and variant. */
export type LabImages = z.infer<typeof LabImagesSchema>;

export function snapshotKey(arch: Arch, variant: SnapshotVariant): string {
  return `${arch}/${variantKey(variant)}`;
}

/** Where a lab's own snapshot is listed in current.json. */
export function labSnapshotKey(arch: Arch, labId: string): string {
  return `${arch}/lab-${labId}`;
}

export function defaultCacheDir(root: string = process.cwd()): string {
  return path.join(/*turbopackIgnore: true*/ root, '.cache', 'labs');
}

/** Reads what the last build produced without resolving packages; null if absent or stale. */
export async function loadCurrentImages(cacheDir: string): Promise<LabImages | null> {
  try {
    const parsed = LabImagesSchema.parse(JSON.parse(await fs.readFile(path.join(cacheDir, 'current.json'), 'utf8')));
    const files = [
      ...Object.values(parsed.images).flatMap((i) => [i.kernel, i.initrd, i.stubKernel, i.stubInitrd]),
      ...Object.values(parsed.snapshots).flatMap((s) => [s.state, s.ram, ...(s.disk ? [s.disk] : [])]),
    ];
    for (const f of files) if (!existsSync(f)) return null;
    return parsed;
  } catch {
    return null;
  }
}

/** sha256 over the parts, NUL-separated: the content hash that names cache folders. */
export function contentHash(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0');
  }
  return h.digest('hex');
}

/**
 * What an image build in progress is doing, in `<cacheDir>/build-status.json`: written by
 * `npm run labs:images` as it goes, read by the server to say "Preparing lab machines: step 5/17"
 * until the images are there.
 */
export const BuildStatusSchema = z.object({
  state: z.enum(['building', 'ready', 'failed']),
  step: z.number(),
  total: z.number(),
  what: z.string(),
  pid: z.number(),
  updatedAt: z.string(),
  error: z.string().optional(),
  /** Where the full build output is, for the people who run the server. */
  log: z.string().optional(),
});
export type BuildStatus = z.infer<typeof BuildStatusSchema>;

export async function writeBuildStatus(cacheDir: string, status: BuildStatus): Promise<void> {
  await fs.mkdir(cacheDir, { recursive: true });
  const tmp = path.join(cacheDir, `build-status.json.${process.pid}`);
  await fs.writeFile(tmp, JSON.stringify(status));
  await fs.rename(tmp, path.join(cacheDir, 'build-status.json'));
}

/** The last build's status; a "building" status whose process is gone reads as failed. */
export async function readBuildStatus(cacheDir: string): Promise<BuildStatus | null> {
  try {
    const status = BuildStatusSchema.parse(JSON.parse(await fs.readFile(path.join(cacheDir, 'build-status.json'), 'utf8')));
    if (status.state === 'building' && !processAlive(status.pid)) return { ...status, state: 'failed', error: 'the build stopped' };
    return status;
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
