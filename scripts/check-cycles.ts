/**
 * npm run check:cycles — fails when modules under lib/ and app/ import each other in a circle.
 * Import cycles make initialisation order fragile (a module sees another half-loaded) and blur
 * the layering (lib/ is the domain, app/ adapts it). Static `import`/`export … from` of relative
 * and `@/` paths are followed. Type-only imports are ignored (erased), and so is `import()`: a
 * lazy import is the sanctioned way to reach back up a layer without an initialisation cycle.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = process.cwd();
const roots = ['lib', 'app'];
const skip = new Set(['generated', 'node_modules', 'guest']);

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir)) {
    if (skip.has(e)) continue;
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|tsx)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
}

function resolve(from: string, spec: string): string | null {
  let base: string;
  if (spec.startsWith('@/')) base = path.join(root, spec.slice(2));
  else if (spec.startsWith('.')) base = path.resolve(path.dirname(from), spec);
  else return null;
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return null;
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;

const files: string[] = [];
for (const r of roots) walk(path.join(root, r), files);
const graph = new Map<string, string[]>();
for (const f of files) {
  const src = readFileSync(f, 'utf8');
  const deps: string[] = [];
  for (const m of src.matchAll(IMPORT)) {
    if (m[2]) continue; // import type / export type
    const target = resolve(f, m[3] ?? '');
    if (target) deps.push(target);
  }
  graph.set(f, deps);
}

const state = new Map<string, 'active' | 'done'>();
const stack: string[] = [];
const cycles: string[][] = [];
function visit(f: string): void {
  state.set(f, 'active');
  stack.push(f);
  for (const d of graph.get(f) ?? []) {
    if (state.get(d) === 'active') cycles.push([...stack.slice(stack.indexOf(d)), d]);
    else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(f, 'done');
}
for (const f of graph.keys()) if (!state.has(f)) visit(f);

const rel = (f: string) => path.relative(root, f);
if (cycles.length > 0) {
  for (const c of cycles) console.error(`import cycle: ${c.map(rel).join(' → ')}`);
  process.exit(1);
}
console.log(`check:cycles: ${graph.size} modules, no import cycles`);
