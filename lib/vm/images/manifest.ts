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
  variant: z.object({ user: z.enum(['student', 'root']), disk: z.boolean() }),
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

export function defaultCacheDir(root: string = process.cwd()): string {
  return path.join(root, '.cache', 'labs');
}

/** Reads what the last build produced without resolving packages; null if absent or stale. */
export async function loadCurrentImages(cacheDir: string): Promise<LabImages | null> {
  try {
    const parsed = LabImagesSchema.parse(JSON.parse(await fs.readFile(path.join(cacheDir, 'current.json'), 'utf8')));
    const files = [
      ...Object.values(parsed.images).flatMap((i) => [i.kernel, i.initrd, i.stubKernel, i.stubInitrd]),
      ...Object.values(parsed.snapshots).flatMap((s) => [s.state, s.ram]),
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
