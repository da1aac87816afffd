/**
 * npm run labs:images — builds the lab guest images and snapshots (cached; see lib/labs/images.ts).
 * Options: --arch x86_64|aarch64 (repeatable), --no-install (print apt commands instead of running them).
 */
import path from 'node:path';
import { ARCHES, type Arch, ArchSchema, ensureLabImages } from '@/lib/vm';

const argv = process.argv.slice(2);
const arches: Arch[] = [];
for (let i = 0; i < argv.length; i++) if (argv[i] === '--arch') arches.push(ArchSchema.parse(argv[++i]));
const t0 = Date.now();
ensureLabImages({ arches: arches.length ? arches : ARCHES, installMissing: !argv.includes('--no-install') })
  .then((built) => {
    for (const [key, s] of Object.entries(built.snapshots))
      console.log(
        `[labs:images] ${key}: ${s.accel}, device state ${(s.bytes / 1024).toFixed(0)} KiB + guest RAM file, booted in ${(s.bootMs / 1000).toFixed(1)} s: ${path.dirname(s.state)}`,
      );
    console.log(`[labs:images] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  })
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
