import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type LabDefinition, labSnapshotSpec, readLabs } from '@/lib/content';
import { ensureLabImages, QemuBackend } from '@/lib/vm';

/**
 * A backend over the real lab images for VM tests: builds them (or finds them cached — the first
 * build downloads ~130 packages and takes a few minutes) with every lab's snapshot, and runs VMs
 * in `.cache/labs/<runDirName>`, cleared of orphans a killed earlier run left.
 */
export async function openLabBackend(runDirName: string, catalogue?: LabDefinition[]): Promise<QemuBackend> {
  const root = process.cwd();
  const labs = catalogue ?? readLabs(path.join(root, 'labs')).labs;
  const images = await ensureLabImages({ root, log: () => {}, labs: labs.flatMap((l) => labSnapshotSpec(l) ?? []) });
  const runDir = path.join(root, '.cache/labs', runDirName);
  await fs.mkdir(runDir, { recursive: true });
  await QemuBackend.cleanOrphans(runDir);
  return new QemuBackend({ images, runDir });
}
