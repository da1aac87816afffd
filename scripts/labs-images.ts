/**
 * npm run labs:images — builds the lab guest images and snapshots (cached; see lib/vm/images/).
 * Options: --arch x86_64|aarch64 (repeatable), --no-install (print apt commands instead of running them),
 * --log <file> (named in the status the Labs page shows while this runs).
 * Progress goes to <cache>/build-status.json, which the running server reads.
 */
import path from 'node:path';
import { labSnapshotSpec, readLabs } from '@/lib/content';
import { ARCHES, type Arch, ArchSchema, type BuildStatus, defaultCacheDir, ensureLabImages, writeBuildStatus } from '@/lib/vm';

const argv = process.argv.slice(2);
const arches: Arch[] = [];
let log: string | undefined;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--arch') arches.push(ArchSchema.parse(argv[++i]));
  if (argv[i] === '--log') log = argv[++i];
}
const cacheDir = defaultCacheDir(process.cwd());
const status: BuildStatus = {
  state: 'building',
  step: 0,
  total: 0,
  what: 'starting',
  pid: process.pid,
  updatedAt: new Date().toISOString(),
  log,
};
// Writes are chained so the last status written is the last one reported.
let written: Promise<void> = Promise.resolve();
const report = (patch: Partial<BuildStatus>): Promise<void> => {
  Object.assign(status, patch, { updatedAt: new Date().toISOString() });
  const snapshot = { ...status };
  written = written.then(() => writeBuildStatus(cacheDir, snapshot)).catch(() => undefined);
  return written;
};

// Every lab with a setup gets its own snapshot, taken after that setup (lab starts skip it).
const { labs: catalogue, problems } = readLabs(path.join(process.cwd(), 'labs'));
for (const p of problems) console.error(`[labs:images] ${p.file}: ${p.message} (this lab gets no snapshot of its own)`);
const labs = catalogue.flatMap((l) => labSnapshotSpec(l) ?? []);

const t0 = Date.now();
await report({});
ensureLabImages({
  arches: arches.length ? arches : ARCHES,
  labs,
  installMissing: !argv.includes('--no-install'),
  onStep: ({ step, total, what }) => void report({ step, total, what }),
})
  .then(async (built) => {
    for (const [key, s] of Object.entries(built.snapshots))
      console.log(
        `[labs:images] ${key}: ${s.accel}, device state ${(s.bytes / 1024).toFixed(0)} KiB + guest RAM file, booted in ${(s.bootMs / 1000).toFixed(1)} s: ${path.dirname(s.state)}`,
      );
    await report({ state: 'ready', what: 'ready' });
    console.log(`[labs:images] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  })
  .catch(async (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    await report({ state: 'failed', error: message.split('\n')[0] ?? message });
    console.error(message);
    process.exit(1);
  });
