import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ArchSchema, LabIdSchema } from '@/lib/schema';
import type { ContentProblem } from './errors';

/**
 * The lab catalogue: `labs/<id>/lab.yaml` (+ `README.md`, the brief; `setup`, run as root in the
 * VM before the learner gets the shell), loaded through zod like the rest of the course and
 * checked by `content:check`. Which VMs exist and how they start is lib/vm's business; what a
 * learner's lab session is, lib/labs's.
 */

export const labManifestSchema = z.strictObject({
  id: LabIdSchema,
  title: z.string().trim().min(1),
  arches: z.array(ArchSchema).min(1),
  /** The login user of the lab shell; only a lab that truly needs root gets root. */
  user: z.enum(['student', 'root']).default('student'),
  /**
   * A fresh ext4 disk per session, mounted at /mnt/lab, seeded from labs/<id>/<seed>/ (a folder
   * name, no path separators). Durability labs are graded by cutting the power and reading it.
   */
  disk: z
    .strictObject({
      seed: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'seed must be a folder name inside the lab (a-z, 0-9, -)')
        .optional(),
    })
    .optional(),
  /** `lesson-id#anchor` of the lesson sections this lab practises (checked by content:check). */
  lessons: z.array(z.string().regex(/^[a-z0-9-]{1,48}#[a-z0-9-]{1,48}$/, 'must look like <lesson-id>#<anchor>')).default([]),
  tasks: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z0-9-]{1,48}$/),
        title: z.string().min(1),
        /** A task the learner answers (the grader checks the answer against what it measures). */
        answer: z.strictObject({ prompt: z.string().min(1), choices: z.array(z.string().min(1)).min(2).optional() }).optional(),
        /** Flashcards a failed Check makes due again. */
        cards: z.array(z.string().regex(/^[a-z0-9-]{1,48}$/)).default([]),
        /** Progressive hints, revealed one at a time. */
        hints: z.array(z.string().min(1)).default([]),
      }),
    )
    .default([]),
});

export type LabManifest = z.infer<typeof labManifestSchema>;

/** A lab as the app uses it: the manifest plus its brief and setup script, and where it lives. */
export interface LabDefinition extends LabManifest {
  /** Absolute path of labs/<id>. */
  dir: string;
  /** README.md, Markdown; null when the lab has none. */
  brief: string | null;
  /** The setup script (POSIX sh, run as root through the agent); null when there is none. */
  setup: string | null;
  /** Absolute path of the disk's seed folder, when the lab asks for a seeded disk. */
  diskSeedDir: string | null;
}

/**
 * Reads every `labsRoot/<id>/lab.yaml`. Returns the valid labs and one problem per broken file
 * (YAML, schema, id ≠ folder, a missing seed folder), so content:check can list them all.
 */
export function readLabs(labsRoot = 'labs'): { labs: LabDefinition[]; problems: ContentProblem[] } {
  const labs: LabDefinition[] = [];
  const problems: ContentProblem[] = [];
  let dirs: string[];
  try {
    dirs = fs
      .readdirSync(labsRoot, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return { labs, problems };
  }
  for (const dir of dirs) {
    const file = path.join(labsRoot, dir, 'lab.yaml');
    let raw: string;
    try {
      if (!fs.lstatSync(file).isFile()) continue;
      raw = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // no manifest: not a lab
    }
    let data: unknown;
    try {
      data = parseYaml(raw);
    } catch (e) {
      problems.push({ file, code: 'yaml', message: `not valid YAML: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    const parsed = labManifestSchema.safeParse(data);
    if (!parsed.success) {
      for (const i of parsed.error.issues)
        problems.push({ file, code: 'schema', message: `${i.path.join('.') || '(file)'}: ${i.message}` });
      continue;
    }
    const m = parsed.data;
    if (m.id !== dir) {
      problems.push({ file, code: 'schema', message: `id "${m.id}" must equal its folder name "${dir}"` });
      continue;
    }
    const abs = path.resolve(labsRoot, dir);
    const diskSeedDir = m.disk?.seed ? path.join(abs, m.disk.seed) : null;
    if (diskSeedDir && !fs.existsSync(diskSeedDir)) {
      problems.push({ file, code: 'reference', message: `disk.seed: folder labs/${dir}/${m.disk?.seed} does not exist` });
      continue;
    }
    labs.push({
      ...m,
      dir: abs,
      brief: readOptional(path.join(abs, 'README.md')),
      setup: readOptional(path.join(abs, 'setup')),
      diskSeedDir,
    });
  }
  return { labs, problems };
}

function readOptional(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

const cache = new Map<string, LabDefinition[]>();

/**
 * The catalogue, loaded once per process in production (labs change only with a deploy) and
 * re-read on every call in development. Throws naming every broken lab.yaml.
 */
export function labCatalog(labsRoot = path.join(process.cwd(), 'labs')): LabDefinition[] {
  const cached = process.env.NODE_ENV === 'production' ? cache.get(labsRoot) : undefined;
  if (cached) return cached;
  const { labs, problems } = readLabs(labsRoot);
  if (problems.length > 0) throw new Error(`broken lab catalogue:\n${problems.map((p) => `  ${p.file}: ${p.message}`).join('\n')}`);
  cache.set(labsRoot, labs);
  return labs;
}
