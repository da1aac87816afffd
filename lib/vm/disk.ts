import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { run } from './proc';
import { LAB_DISK_BYTES } from './qemu-args';
import { SafePathSchema } from './schema';

/**
 * A lab's disk: a small ext4 image made fresh for each session, and read back after a power cut
 * the way a rebooting machine would (journal replayed). Settings and why: README "Durability".
 */

/** Makes an ext4 image of LAB_DISK_BYTES at `image`, filled from `seedDir` when given. */
export async function makeLabDisk(image: string, seedDir?: string, owner = '1000:1000'): Promise<void> {
  if (seedDir !== undefined && !existsSync(seedDir)) throw new Error(`disk seed folder ${seedDir} does not exist`);
  const fh = await fs.open(image, 'w');
  await fh.truncate(LAB_DISK_BYTES);
  await fh.close();
  await run('mkfs.ext4', [
    '-q',
    '-F',
    '-L',
    'lab',
    '-E',
    `root_owner=${owner},lazy_itable_init=0,lazy_journal_init=0`,
    ...(seedDir !== undefined ? ['-d', seedDir] : []),
    image,
  ]);
}

/** A zero-filled image of the same size, for taking the disk snapshot variant. */
export async function makeBlankDisk(image: string): Promise<void> {
  const fh = await fs.open(image, 'w');
  await fh.truncate(LAB_DISK_BYTES);
  await fh.close();
}

/**
 * Reads `guestPath` (a path inside the disk's file system) after replaying the journal on a
 * copy. `e2fsck -fn` would not replay it: without the replay a correctly committed rename still
 * reads as the old content (notes: every image had needs_recovery).
 */
export async function readFileAfterRecovery(image: string, guestPath: string, scratchDir: string): Promise<Buffer | null> {
  const p = SafePathSchema.parse(guestPath);
  const copy = path.join(scratchDir, `recover-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.img`);
  await fs.copyFile(image, copy);
  try {
    // 0: clean, 1: errors corrected, 2: corrected and the system should reboot — all readable.
    await run('e2fsck', ['-f', '-y', copy], { okCodes: [0, 1, 2] });
    // debugfs splits its request itself; SafePathSchema allows no spaces or quotes.
    const r = await run('debugfs', ['-R', `cat ${p}`, copy]);
    if (/File not found|not found by ext2_lookup|Ext2 inode is not a directory/.test(r.stderr)) return null;
    return r.stdout;
  } finally {
    await fs.rm(copy, { force: true });
  }
}
