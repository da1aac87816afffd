import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ContentError, type ContentProblem, type ProblemCode } from './errors';
import { parseHeadings } from './headings';
import { readLabs } from './labs';
import {
  type Card,
  type Course,
  type CourseCard,
  type CoursePart,
  type CourseQuiz,
  cardSchema,
  type Lesson,
  lessonFrontmatterSchema,
  lintExceptionsFileSchema,
  partSchema,
  quizSchema,
  retiredCardsFileSchema,
  type Section,
  sectionsFileSchema,
} from './schema';

/**
 * The only module of lib/content that touches the file system. Reads are synchronous: the
 * whole tree is a few hundred small files, read once per process (or per `content:check`).
 *
 * Safety: the tree is first walked with lstat; every symbolic link is reported and never
 * followed, and every file read is re-checked (realpath) to lie inside the content root, so a
 * content change can never make the app read /etc/passwd or another checkout.
 */

const PART_DIR = /^\d{2}-[a-z0-9-]+$/;
const PART_SUBDIRS = new Set(['lessons', 'cards', 'quizzes']);

/** What `readCourse` could parse, plus every problem met on the way. */
export interface ReadCourseResult {
  course: Course;
  problems: ContentProblem[];
}

class Reader {
  readonly problems: ContentProblem[] = [];
  private readonly realRoot: string;

  constructor(readonly root: string) {
    this.realRoot = fs.realpathSync(root);
  }

  /** `content/parts/…` with forward slashes: the name a writer sees in errors. */
  display(abs: string): string {
    return path.join(this.root, path.relative(this.realRoot, abs)).split(path.sep).join('/');
  }

  problem(abs: string, code: ProblemCode, message: string): void {
    this.problems.push({ file: this.display(abs), code, message });
  }

  /** All entries of a directory that are not symlinks (those are reported by `scanSymlinks`). */
  entries(dir: string): fs.Dirent[] {
    try {
      return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => !e.isSymbolicLink() && !e.name.startsWith('.'))
        .sort((a, b) => a.name.localeCompare(b.name));
    } catch (error) {
      this.problem(dir, 'io', `cannot read directory: ${errorText(error)}`);
      return [];
    }
  }

  scanSymlinks(dir: string): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      this.problem(dir, 'io', `cannot read directory: ${errorText(error)}`);
      return;
    }
    for (const entry of entries) {
      const abs = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        let target = '?';
        try {
          target = fs.readlinkSync(abs);
        } catch {
          // keep '?'
        }
        this.problem(abs, 'symlink', `symbolic link (→ ${target}) is not allowed under the content root; replace it with a real file`);
      } else if (entry.isDirectory()) this.scanSymlinks(abs);
    }
  }

  readText(abs: string): string | undefined {
    try {
      const real = fs.realpathSync(abs);
      if (real !== this.realRoot && !real.startsWith(this.realRoot + path.sep)) {
        this.problem(abs, 'path', `resolves to ${real}, outside the content root ${this.realRoot}`);
        return undefined;
      }
      const stat = fs.lstatSync(real);
      if (!stat.isFile()) {
        this.problem(abs, 'layout', 'expected a regular file');
        return undefined;
      }
      return fs.readFileSync(real, 'utf8');
    } catch (error) {
      this.problem(abs, 'io', `cannot read: ${errorText(error)}`);
      return undefined;
    }
  }

  /** Parses YAML; duplicate keys and syntax errors are reported with line and column. */
  readYaml(abs: string, source?: string, lineOffset = 0): { ok: true; value: unknown } | { ok: false } {
    const text = source ?? this.readText(abs);
    if (text === undefined) return { ok: false };
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const where = err.linePos?.[0];
        const at = where ? ` (line ${where.line + lineOffset}, column ${where.col})` : '';
        this.problem(abs, 'yaml', `invalid YAML${at}: ${err.message.split('\n')[0] ?? ''}`);
      }
      return { ok: false };
    }
    return { ok: true, value: doc.toJS() };
  }

  validate<S extends z.ZodType>(abs: string, schema: S, value: unknown, label = ''): z.output<S> | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const at = [label, formatPath(issue.path)].filter((s) => s !== '').join('');
      this.problem(abs, 'schema', `${at === '' ? '' : `${at}: `}${issue.message}`);
    }
    return undefined;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i === 0 ? '' : '.'}${String(s)}`)).join('');
}

/** JSON with object keys sorted, so the hash does not depend on key order in the file. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

interface PartContext {
  dir: string;
  part: string;
}

function readLesson(reader: Reader, abs: string, ctx: PartContext): Lesson | undefined {
  const text = reader.readText(abs);
  if (text === undefined) return undefined;
  const match = FRONTMATTER.exec(text.replace(/^\uFEFF/, ''));
  if (!match) {
    reader.problem(abs, 'yaml', 'missing YAML frontmatter: the file must start with a line `---`, the frontmatter, and a closing `---`');
    return undefined;
  }
  const yaml = reader.readYaml(abs, match[1] ?? '', 1);
  if (!yaml.ok) return undefined;
  const meta = reader.validate(abs, lessonFrontmatterSchema, yaml.value, 'frontmatter.');
  if (!meta) return undefined;
  const expected = `${meta.id}.md`;
  if (path.basename(abs) !== expected) {
    reader.problem(abs, 'layout', `lesson id "${meta.id}" must be in a file named ${expected}`);
  }
  const body = text.replace(/^\uFEFF/, '').slice(match[0].length);
  return {
    ...meta,
    file: reader.display(abs),
    part: ctx.part,
    body,
    headings: parseHeadings(body),
    contentHash: sha256(stableJson({ meta, body })),
  };
}

function readCards(reader: Reader, abs: string, ctx: PartContext): CourseCard[] {
  const yaml = reader.readYaml(abs);
  if (!yaml.ok) return [];
  if (!Array.isArray(yaml.value)) {
    reader.problem(abs, 'schema', 'a cards file must be a YAML list of cards (`- id: …`)');
    return [];
  }
  const cards: CourseCard[] = [];
  yaml.value.forEach((raw: unknown, index) => {
    const id = raw !== null && typeof raw === 'object' && 'id' in raw && typeof raw.id === 'string' ? ` (${raw.id})` : '';
    const card: Card | undefined = reader.validate(abs, cardSchema, raw, `[${index}]${id}.`);
    if (card) cards.push({ ...card, file: reader.display(abs), part: ctx.part, contentHash: sha256(stableJson(card)) });
  });
  return cards;
}

function readQuiz(reader: Reader, abs: string, ctx: PartContext): CourseQuiz | undefined {
  const yaml = reader.readYaml(abs);
  if (!yaml.ok) return undefined;
  const quiz = reader.validate(abs, quizSchema, yaml.value);
  if (!quiz) return undefined;
  const stem = path.basename(abs).replace(/\.ya?ml$/, '');
  if (stem !== quiz.id) reader.problem(abs, 'layout', `quiz id "${quiz.id}" must be in a file named ${quiz.id}.yaml`);
  return { ...quiz, file: reader.display(abs), part: ctx.part, contentHash: sha256(stableJson(quiz)) };
}

/**
 * Reads the whole content tree, collecting every problem instead of stopping at the first.
 * Invalid files are left out of `course`; everything valid is in it, so `checkCourse` can still
 * report broken references elsewhere. Use `loadCourse` when any problem must be fatal.
 */
export function readCourse(root = 'content'): ReadCourseResult {
  const course: Course = {
    root,
    sectionsFile: `${root}/sections.yaml`.split(path.sep).join('/'),
    sections: [],
    parts: [],
    lessons: [],
    cards: [],
    quizzes: [],
    retiredCardsFile: `${root}/retired-cards.yaml`.split(path.sep).join('/'),
    retiredCards: [],
    lintExceptionsFile: `${root}/lint-exceptions.yaml`.split(path.sep).join('/'),
    lintExceptions: [],
  };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(/*turbopackIgnore: true*/ root);
  } catch (error) {
    return { course, problems: [{ file: root, code: 'io', message: `content root not found: ${errorText(error)}` }] };
  }
  if (!stat.isDirectory()) {
    return { course, problems: [{ file: root, code: 'io', message: 'content root is not a directory' }] };
  }

  const reader = new Reader(root);
  const realRoot = fs.realpathSync(/*turbopackIgnore: true*/ root);
  reader.scanSymlinks(realRoot);

  const sectionsAbs = path.join(realRoot, 'sections.yaml');
  if (fs.existsSync(sectionsAbs) && !fs.lstatSync(sectionsAbs).isSymbolicLink()) {
    const yaml = reader.readYaml(sectionsAbs);
    if (yaml.ok) {
      const sections: Section[] | undefined = reader.validate(sectionsAbs, sectionsFileSchema, yaml.value);
      course.sections = sections ?? [];
    }
  } else if (!fs.existsSync(sectionsAbs)) {
    reader.problem(sectionsAbs, 'layout', 'missing: the coverage map of dissertation sections');
  }

  // Optional lists at the root: retired card ids and reviewed lint exceptions.
  const retiredAbs = path.join(realRoot, 'retired-cards.yaml');
  if (fs.existsSync(retiredAbs) && !fs.lstatSync(retiredAbs).isSymbolicLink()) {
    const yaml = reader.readYaml(retiredAbs);
    if (yaml.ok) course.retiredCards = reader.validate(retiredAbs, retiredCardsFileSchema, yaml.value ?? []) ?? [];
  }
  const exceptionsAbs = path.join(realRoot, 'lint-exceptions.yaml');
  if (fs.existsSync(exceptionsAbs) && !fs.lstatSync(exceptionsAbs).isSymbolicLink()) {
    const yaml = reader.readYaml(exceptionsAbs);
    if (yaml.ok) course.lintExceptions = reader.validate(exceptionsAbs, lintExceptionsFileSchema, yaml.value ?? []) ?? [];
  }

  const partsAbs = path.join(realRoot, 'parts');
  if (!fs.existsSync(partsAbs)) {
    reader.problem(partsAbs, 'layout', 'missing: content/parts/<NN-slug>/ holds all parts');
    return { course, problems: reader.problems };
  }

  const lessons: Array<{ lesson: Lesson; dir: string }> = [];
  const quizzes: Array<{ quiz: CourseQuiz; dir: string }> = [];
  const cards: Array<{ card: CourseCard; dir: string }> = [];
  for (const partEntry of reader.entries(partsAbs)) {
    const partAbs = path.join(partsAbs, partEntry.name);
    if (!partEntry.isDirectory() || !PART_DIR.test(partEntry.name)) {
      reader.problem(partAbs, 'layout', 'only part directories named <NN-slug> (e.g. 01-boundary) belong in parts/');
      continue;
    }
    const ctx: PartContext = { dir: partEntry.name, part: partEntry.name };
    const partYaml = path.join(partAbs, 'part.yaml');
    if (fs.existsSync(partYaml)) {
      const yaml = reader.readYaml(partYaml);
      const part = yaml.ok ? reader.validate(partYaml, partSchema, yaml.value) : undefined;
      if (part) {
        const coursePart: CoursePart = { ...part, file: reader.display(partYaml), dir: partEntry.name };
        course.parts.push(coursePart);
        ctx.part = part.id;
      }
    } else {
      reader.problem(partYaml, 'layout', 'missing part.yaml ({ id, title, order, summary })');
    }

    for (const entry of reader.entries(partAbs)) {
      const abs = path.join(partAbs, entry.name);
      if (entry.isFile() && entry.name === 'part.yaml') continue;
      if (!entry.isDirectory() || !PART_SUBDIRS.has(entry.name)) {
        reader.problem(abs, 'layout', 'unexpected entry: a part holds only part.yaml, lessons/, cards/ and quizzes/');
        continue;
      }
      for (const file of reader.entries(abs)) {
        const fileAbs = path.join(abs, file.name);
        const ext = entry.name === 'lessons' ? /\.md$/ : /\.ya?ml$/;
        if (!file.isFile() || !ext.test(file.name)) {
          const want = entry.name === 'lessons' ? '<lesson-id>.md files' : '.yaml files';
          reader.problem(fileAbs, 'layout', `unexpected entry: ${entry.name}/ holds only ${want}`);
          continue;
        }
        if (entry.name === 'lessons') {
          const lesson = readLesson(reader, fileAbs, ctx);
          if (lesson) lessons.push({ lesson, dir: partEntry.name });
        } else if (entry.name === 'cards') {
          for (const card of readCards(reader, fileAbs, ctx)) cards.push({ card, dir: partEntry.name });
        } else {
          const quiz = readQuiz(reader, fileAbs, ctx);
          if (quiz) quizzes.push({ quiz, dir: partEntry.name });
        }
      }
    }
  }

  // Teaching order: parts by `order`, then directory name; lessons by part, then `order`.
  course.parts.sort((a, b) => a.order - b.order || a.dir.localeCompare(b.dir));
  const rank = new Map(course.parts.map((p, i) => [p.dir, i]));
  const partRank = (dir: string) => rank.get(dir) ?? Number.MAX_SAFE_INTEGER;
  course.lessons = lessons
    .sort(
      (a, b) =>
        partRank(a.dir) - partRank(b.dir) ||
        a.dir.localeCompare(b.dir) ||
        a.lesson.order - b.lesson.order ||
        a.lesson.id.localeCompare(b.lesson.id),
    )
    .map((l) => l.lesson);
  course.cards = cards.sort((a, b) => partRank(a.dir) - partRank(b.dir) || a.dir.localeCompare(b.dir)).map((c) => c.card);
  course.quizzes = quizzes
    .sort((a, b) => partRank(a.dir) - partRank(b.dir) || a.dir.localeCompare(b.dir) || a.quiz.id.localeCompare(b.quiz.id))
    .map((q) => q.quiz);
  return { course, problems: reader.problems };
}

/**
 * Loads and validates every file under `root` (default `content`, relative to the working
 * directory). Throws `ContentError` listing every problem with its file if anything does not
 * parse; does not run the cross-reference checks (`checkCourse` does).
 */
export function loadCourse(root = 'content'): Course {
  const { course, problems } = readCourse(root);
  if (problems.length > 0) throw new ContentError(problems);
  return course;
}

/** Ids of the labs that exist and parse (`labsRoot/<id>/lab.yaml`); broken ones are `readLabs`'s problems. */
export function listLabIds(labsRoot = 'labs'): Set<string> {
  return new Set(readLabs(labsRoot).labs.map((l) => l.id));
}

/** Reads a UTF-8 text file (the dissertation for the plagiarism check). */
export function readTextFile(file: string): string {
  return fs.readFileSync(file, 'utf8');
}
