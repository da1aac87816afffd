import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The import graph of our TypeScript sources and its cycles, read with the TypeScript parser (not
 * a regex), so every edge a running program can follow is seen: static `import`/`export … from`
 * and dynamic `import()` alike. A lazy `import()` still closes a circle — it only hides it until
 * run time. Type-only imports and exports are skipped (erased at compile time). Only relative
 * and `@/` specifiers are followed; packages are leaves.
 */

const SKIP_DIRS = new Set(['generated', 'node_modules', 'guest', '.next']);

/** Every .ts/.tsx file under `dirs` (relative to `root`), plus the single files named. */
export function sourceFiles(root: string, entries: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p)) if (!SKIP_DIRS.has(e)) walk(path.join(p, e));
    } else if (/\.(ts|tsx)$/.test(p) && !p.endsWith('.d.ts')) out.push(p);
  };
  for (const e of entries) walk(path.join(root, e));
  return out.sort();
}

function resolveSpecifier(root: string, from: string, spec: string): string | null {
  let base: string;
  if (spec.startsWith('@/')) base = path.join(root, spec.slice(2));
  else if (spec.startsWith('.')) base = path.resolve(path.dirname(from), spec);
  else return null;
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return null;
}

/** The module specifiers a file really loads: static imports/re-exports and `import()` calls. */
export function runtimeImports(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(
    fileName,
    source,
    ts.ScriptTarget.Latest,
    true,
    fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = clause?.isTypeOnly || (clause && !clause.name && named && named.length > 0 && named.every((e) => e.isTypeOnly));
      if (!typeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (named && named.length > 0 && named.every((e) => e.isTypeOnly));
      if (!typeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) specs.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs;
}

/** Every import cycle among `files`, each as a path that starts and ends at the same file. */
export function findImportCycles(root: string, files: readonly string[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = runtimeImports(f, readFileSync(f, 'utf8'))
      .map((s) => resolveSpecifier(root, f, s))
      .filter((d): d is string => d !== null);
    graph.set(f, deps);
  }
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'active');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'active') cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return cycles;
}
