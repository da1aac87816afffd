import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentError, loadCourse, readCourse } from '@/lib/content';
import {
  CARDS,
  describeProblems,
  FIXTURE_ROOT,
  fixtureTree,
  LESSON,
  PART,
  QUIZ,
  removeFixtureTrees,
} from '../fixtures/content/fixture-tree';

afterEach(removeFixtureTrees);

describe('loadCourse on the valid fixture', () => {
  it('loads every part, lesson, card and quiz with no problems', () => {
    const { course, problems } = readCourse(FIXTURE_ROOT);
    expect(problems, describeProblems(problems)).toEqual([]);
    expect(course.sections.map((s) => s.id)).toEqual(['demo-syscalls']);
    expect(course.parts.map((p) => p.id)).toEqual(['p1']);
    expect(course.lessons.map((l) => l.id)).toEqual(['demo-lesson']);
    expect(course.cards.map((c) => c.id)).toEqual(['demo-cost', 'demo-cloze']);
    expect(course.quizzes.map((q) => q.id)).toEqual(['demo-quiz']);
  });

  it('parses heading anchors with the {#anchor} syntax stripped, and slugs the rest', () => {
    const lesson = loadCourse(FIXTURE_ROOT).lessons[0];
    expect(lesson?.headings).toEqual([
      { depth: 2, text: 'Crossing the border', anchor: 'crossing', explicit: true },
      { depth: 2, text: 'A picture of it', anchor: 'a-picture-of-it', explicit: false },
    ]);
    expect(lesson?.body.startsWith('\n## Crossing the border {#crossing}')).toBe(true);
    expect(lesson?.file).toMatch(/parts\/01-demo\/lessons\/demo-lesson\.md$/);
    expect(lesson?.part).toBe('p1');
  });

  it('gives each card and lesson a content hash that changes exactly when its content does', () => {
    const tree = fixtureTree();
    const before = loadCourse(tree.root);
    expect(loadCourse(tree.root).cards.map((c) => c.contentHash)).toEqual(before.cards.map((c) => c.contentHash));
    tree.edit(CARDS, (t) => t.replace('Hundreds of nanoseconds.', 'A few hundred nanoseconds.'));
    tree.edit(LESSON, (t) => t.replace('numbered system call', 'numbered syscall'));
    const after = loadCourse(tree.root);
    expect(after.cards[0]?.contentHash).not.toBe(before.cards[0]?.contentHash);
    expect(after.cards[1]?.contentHash).toBe(before.cards[1]?.contentHash);
    expect(after.lessons[0]?.contentHash).not.toBe(before.lessons[0]?.contentHash);
    expect(before.cards[0]?.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sorts parts by order, whatever their directory names', () => {
    const tree = fixtureTree();
    tree.write('parts/00-zeta/part.yaml', 'id: thesis\ntitle: "Thesis"\norder: 5\nsummary: "Later."\n');
    tree.edit(PART, (t) => t.replace('order: 1', 'order: 0'));
    expect(loadCourse(tree.root).parts.map((p) => p.id)).toEqual(['p1', 'thesis']);
  });
});

describe('loadCourse errors', () => {
  it('throws one ContentError listing every problem with its file, not just the first', () => {
    const tree = fixtureTree();
    tree.edit(CARDS, (t) => t.replace('type: qa', 'type: essay'));
    tree.edit(QUIZ, (t) => t.replace('title: "Too many syscalls?"', 'titel: "Too many syscalls?"'));
    let thrown: unknown;
    try {
      loadCourse(tree.root);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContentError);
    const problems = (thrown as ContentError).problems;
    expect(problems.map((p) => p.file).sort(), describeProblems(problems)).toEqual([
      expect.stringMatching(/cards\/demo\.yaml$/),
      expect.stringMatching(/quizzes\/demo-quiz\.yaml$/),
      expect.stringMatching(/quizzes\/demo-quiz\.yaml$/),
    ]);
    expect((thrown as Error).message).toContain('type must be one of qa, cloze, number, scenario');
    expect((thrown as Error).message).toContain('titel');
  });

  it('keeps the valid cards of a file when one card is invalid, naming the bad card by index and id', () => {
    const tree = fixtureTree();
    tree.edit(CARDS, (t) => t.replace('  front: "Roughly', '  frnt: "Roughly'));
    const { course, problems } = tree.read();
    expect(course.cards.map((c) => c.id)).toEqual(['demo-cloze']);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/\[0\] \(demo-cost\)/);
    expect(problems.every((p) => p.code === 'schema')).toBe(true);
  });

  it('rejects ids that do not match ^[a-z0-9-]{1,48}$', () => {
    const tree = fixtureTree();
    tree.edit(CARDS, (t) => t.replace('id: demo-cost', 'id: Demo_Cost'));
    const problems = tree.read().problems;
    expect(problems, describeProblems(problems)).toEqual([
      expect.objectContaining({ code: 'schema', message: expect.stringMatching(/\.id: must match/) }),
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with a line number', () => {
    const tree = fixtureTree();
    tree.edit(PART, (t) => `${t}order: 2\n`);
    tree.edit(QUIZ, (t) => t.replace('start: first', 'start: [first'));
    const problems = tree.read().problems;
    expect(problems.map((p) => p.code)).toEqual(['yaml', 'yaml']);
    expect(describeProblems(problems)).toMatch(/part\.yaml: invalid YAML \(line 5, column 1\)/);
  });

  it('requires frontmatter in lessons and a file name equal to the id', () => {
    const tree = fixtureTree();
    tree.write('parts/01-demo/lessons/no-frontmatter.md', '# Just prose\n');
    tree.write(
      'parts/01-demo/lessons/wrong-name.md',
      fs.readFileSync(path.join(tree.root, LESSON), 'utf8').replace('id: demo-lesson', 'id: other-lesson'),
    );
    const problems = tree.read().problems;
    expect(describeProblems(problems)).toMatch(/no-frontmatter\.md: missing YAML frontmatter/);
    expect(describeProblems(problems)).toMatch(/wrong-name\.md: lesson id "other-lesson" must be in a file named other-lesson\.md/);
  });

  it('reports a missing part.yaml and files where the layout allows none', () => {
    const tree = fixtureTree();
    fs.rmSync(path.join(tree.root, PART));
    tree.write('parts/01-demo/card/typo.yaml', '[]\n');
    tree.write('parts/01-demo/lessons/notes.txt', 'x\n');
    tree.write('parts/stray.yaml', 'x: 1\n');
    const problems = tree.read().problems;
    expect(
      problems.every((p) => p.code === 'layout'),
      describeProblems(problems),
    ).toBe(true);
    const text = describeProblems(problems);
    expect(text).toMatch(/01-demo\/part\.yaml: missing part\.yaml/);
    expect(text).toMatch(/01-demo\/card: unexpected entry/);
    expect(text).toMatch(/lessons\/notes\.txt: unexpected entry/);
    expect(text).toMatch(/parts\/stray\.yaml: only part directories/);
  });

  it('rejects frontmatter re-indented by a Markdown formatter (biome 2.6 moves labs: into the last sections item)', () => {
    const tree = fixtureTree();
    tree.edit(LESSON, (t) =>
      t.replace(
        'sections:\n  - anchor: crossing\n    teaches: [demo-syscalls]\nlabs: [demo-lab]',
        'sections:\n\n- anchor: crossing\n  teaches: [demo-syscalls]\n  labs: [demo-lab]\n',
      ),
    );
    expect(describeProblems(tree.read().problems)).toMatch(
      /\[schema\] .*demo-lesson\.md: frontmatter\.sections\[0\]: Unrecognized key: "labs"/,
    );
  });

  it('reports a content root that does not exist', () => {
    expect(readCourse('/nonexistent/kernel-map-content').problems).toEqual([
      expect.objectContaining({ code: 'io', message: expect.stringContaining('content root not found') }),
    ]);
  });
});

describe('paths that escape the content root', () => {
  it('rejects a symlinked file pointing outside the root, naming the link, and never reads it', () => {
    const tree = fixtureTree();
    const outside = path.join(path.dirname(tree.root), 'outside.yaml');
    fs.writeFileSync(
      outside,
      '- id: stolen\n  type: qa\n  section: demo-syscalls\n  lesson: demo-lesson#crossing\n  front: "x"\n  back: "y"\n',
    );
    fs.symlinkSync(outside, path.join(tree.root, 'parts/01-demo/cards/escape.yaml'));
    const { course, problems } = tree.read();
    expect(problems, describeProblems(problems)).toEqual([
      expect.objectContaining({
        code: 'symlink',
        file: expect.stringMatching(/parts\/01-demo\/cards\/escape\.yaml$/),
        message: expect.stringContaining(outside),
      }),
    ]);
    expect(course.cards.map((c) => c.id)).not.toContain('stolen');
    expect(() => loadCourse(tree.root)).toThrow(ContentError);
  });

  it('rejects a symlinked directory anywhere under the root, even one pointing inside it', () => {
    const tree = fixtureTree();
    fs.symlinkSync(path.join(tree.root, 'parts/01-demo'), path.join(tree.root, 'parts/02-again'));
    fs.symlinkSync('/etc', path.join(tree.root, 'parts/01-demo/lessons/etc'));
    const problems = tree.read().problems;
    expect(problems.map((p) => p.code)).toEqual(['symlink', 'symlink']);
    expect(describeProblems(problems)).toMatch(/parts\/02-again: symbolic link/);
    expect(describeProblems(problems)).toMatch(/lessons\/etc: symbolic link \(→ \/etc\)/);
  });
});
