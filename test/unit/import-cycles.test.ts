import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findImportCycles, sourceFiles } from '../../scripts/import-cycles';

// The cycle check (npm run check:cycles) must see what a running program follows: the old
// hand-written checker skipped `import()`, which hid the images ↔ qemu-backend cycle.

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function project(files: Record<string, string>): string[][] {
  dir = mkdtempSync(path.join(tmpdir(), 'km-cycles-'));
  for (const [name, src] of Object.entries(files)) writeFileSync(path.join(dir, name), src);
  return findImportCycles(dir, sourceFiles(dir, ['.'])).map((c) => c.map((f) => path.basename(f)));
}

describe('import cycle check', () => {
  it('fails on a cycle closed by a dynamic import()', () => {
    const cycles = project({
      'images.ts': "export async function snapshot() { const { boot } = await import('./runner'); return boot(); }\n",
      'runner.ts': "import { snapshot } from './images';\nexport const boot = () => 1;\nexport const rebuild = snapshot;\n",
    });
    expect(cycles).toEqual([['images.ts', 'runner.ts', 'images.ts']]);
  });

  it('fails on a static cycle through a re-export, with @/ paths', () => {
    const cycles = project({
      'a.ts': "export { b } from '@/b';\nexport const a = 1;\n",
      'b.ts': "import { a } from './a';\nexport const b = a;\n",
    });
    expect(cycles).toHaveLength(1);
  });

  it('ignores type-only imports (erased at compile time) and package imports', () => {
    const cycles = project({
      'a.ts': "import type { B } from './b';\nimport { z } from 'zod';\nexport type A = { b?: B; z?: typeof z };\n",
      'b.ts': "import { type A } from './a';\nexport type { A } from './a';\nexport interface B { a?: A }\n",
    });
    expect(cycles).toEqual([]);
  });
});
