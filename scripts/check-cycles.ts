/**
 * npm run check:cycles — fails when our modules import each other in a circle, statically or
 * through `import()` (scripts/import-cycles.ts). Import cycles make initialisation order fragile
 * (a module sees another half-loaded) and blur the layering: lib/vm knows nothing above it,
 * lib/ is the domain, app/ adapts it to HTTP.
 */
import path from 'node:path';
import { findImportCycles, sourceFiles } from './import-cycles';

const root = process.cwd();
const files = sourceFiles(root, ['lib', 'app', 'scripts', 'server.ts', 'proxy.ts']);
const cycles = findImportCycles(root, files);
const rel = (f: string) => path.relative(root, f);
if (cycles.length > 0) {
  for (const c of cycles) console.error(`import cycle: ${c.map(rel).join(' → ')}`);
  process.exit(1);
}
console.log(`check:cycles: ${files.length} modules (static and dynamic imports), no import cycles`);
