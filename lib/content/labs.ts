import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ArchSchema, LabIdSchema } from '@/lib/schema';
import type { LabSnapshotSpec } from '@/lib/vm';
import type { ContentProblem } from './errors';

/**
 * The lab catalogue: `labs/<id>/lab.yaml` (+ `README.md`, the brief; `setup`, run as root in the
 * VM before the learner gets the shell), loaded through zod like the rest of the course and
 * checked by `content:check`. Which VMs exist and how they start is lib/vm's business; what a
 * learner's lab session is, lib/labs's.
 */

/** A script file inside the lab folder (no path separators). */
const labFileName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,47}$/, 'must be a file name inside the lab (a-z, 0-9, . _ -)');

export const labManifestSchema = z
  .strictObject({
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
    /**
     * What the lab's VM gets. `vcpus`: contention on one vCPU looks different from contention on
     * several (the guest kernel runs threads on every CPU), so a lab may ask for up to 4; each is its own snapshot
     * shape and counts against the server's VM cap (lib/vm/README.md).
     */
    resources: z
      .strictObject({
        vcpus: z.number().int('vcpus must be a whole number').min(1).max(4, 'vcpus must be at most 4').default(1),
      })
      .default({ vcpus: 1 }),
    /**
     * The lab's setup, split by when it runs (both POSIX sh, as root, files in the lab folder):
     * `snapshot` once at image-build time, before the lab's snapshot is taken — whatever is the same
     * for every session (files, users' homes, a service that does not depend on the seed);
     * `session` after each restore, before the learner gets the shell — only what must differ per
     * session (the seed-dependent truth is the grader's `prepareSession`). Default: `snapshot: setup`
     * when labs/<id>/setup exists. A lab with a disk runs its snapshot part with the seeded disk
     * mounted at /mnt/lab, and each session gets a copy of that disk.
     */
    setup: z
      .strictObject({
        snapshot: labFileName.optional(),
        session: labFileName.optional(),
      })
      .refine((s) => !s.snapshot || s.snapshot !== s.session, 'snapshot and session must be different files')
      .optional(),
    /** About how long a learner who has read the lessons needs, in minutes (shown on the Labs page). */
    minutes: z.int().min(5, 'minutes: at least 5').max(180, 'minutes: at most 180').optional(),
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
  })
  .refine((lab) => lab.tasks.length === 0 || lab.minutes !== undefined, {
    message: 'a graded lab (one with tasks) says about how long it takes: minutes',
    path: ['minutes'],
  });

export type LabManifest = z.infer<typeof labManifestSchema>;

/** A lab as the app uses it: the manifest plus its brief and setup script, and where it lives. */
export interface LabDefinition extends Omit<LabManifest, 'setup'> {
  /** Absolute path of labs/<id>. */
  dir: string;
  /** README.md, Markdown; null when the lab has none. */
  brief: string | null;
  /**
   * The snapshot-time setup (POSIX sh, run as root through the agent before the lab's snapshot is
   * taken — or after the restore when no current lab snapshot exists); null when there is none.
   */
  setup: string | null;
  /** The per-session setup, run as root after each restore; null when there is none. */
  sessionSetup: string | null;
  /** vCPUs of the lab's VM. */
  vcpus: number;
  /** Absolute path of the disk's seed folder, when the lab asks for a seeded disk. */
  diskSeedDir: string | null;
  /** A hash of the seed folder's files (the lab snapshot is taken with that disk mounted). */
  diskSeedHash: string | null;
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
      .readdirSync(/*turbopackIgnore: true*/ labsRoot, { withFileTypes: true })
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
    const diskSeedDir = m.disk?.seed ? path.join(/*turbopackIgnore: true*/ abs, m.disk.seed) : null;
    if (diskSeedDir && !fs.existsSync(diskSeedDir)) {
      problems.push({ file, code: 'reference', message: `disk.seed: folder labs/${dir}/${m.disk?.seed} does not exist` });
      continue;
    }
    const scripts: { snapshot: string | null; session: string | null } = { snapshot: null, session: null };
    let missing = false;
    for (const when of ['snapshot', 'session'] as const) {
      const name = m.setup ? m.setup[when] : when === 'snapshot' ? 'setup' : undefined;
      if (!name) continue;
      scripts[when] = readOptional(path.join(/*turbopackIgnore: true*/ abs, name));
      if (scripts[when] === null && m.setup) {
        problems.push({ file, code: 'reference', message: `setup.${when}: file labs/${dir}/${name} does not exist` });
        missing = true;
      }
    }
    if (missing) continue;
    const { setup: _files, ...manifest } = m;
    labs.push({
      ...manifest,
      dir: abs,
      brief: readOptional(path.join(abs, 'README.md')),
      setup: scripts.snapshot,
      sessionSetup: scripts.session,
      vcpus: m.resources.vcpus,
      diskSeedDir,
      diskSeedHash: diskSeedDir ? folderHash(diskSeedDir) : null,
    });
  }
  return { labs, problems };
}

/**
 * What `labs:images` needs to snapshot this lab after its setup; null when the lab has no
 * snapshot-time setup (its sessions restore the base snapshot of its shape).
 */
export function labSnapshotSpec(lab: LabDefinition): LabSnapshotSpec | null {
  if (!lab.setup || lab.setup.trim() === '') return null;
  return {
    labId: lab.id,
    arches: lab.arches,
    user: lab.user,
    disk: lab.disk !== undefined,
    vcpus: lab.vcpus,
    ...(lab.diskSeedDir ? { diskSeed: { dir: lab.diskSeedDir, hash: lab.diskSeedHash ?? '' } } : {}),
    setup: lab.setup,
  };
}

/** sha256 over the seed folder's files (names, modes, contents), sorted: part of the lab snapshot's hash. */
function folderHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.join(rel, e.name);
      const st = fs.lstatSync(path.join(dir, r));
      h.update(`${r}\0${st.mode}\0`);
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) h.update(fs.readFileSync(path.join(dir, r)));
      h.update('\0');
    }
  };
  walk('');
  return h.digest('hex').slice(0, 16);
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
