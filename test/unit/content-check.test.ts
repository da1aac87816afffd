import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContentProblem, ProblemCode } from '@/lib/content';
import { CARDS, describeProblems, fixtureTree, LESSON, QUIZ, removeFixtureTrees } from '../fixtures/content/fixture-tree';

afterEach(removeFixtureTrees);

/** Asserts exactly the expected problems (code + file suffix + message pattern), showing all observed. */
function expectProblems(problems: readonly ContentProblem[], expected: Array<[ProblemCode, string, RegExp]>): void {
  expect(problems, describeProblems(problems)).toEqual(
    expected.map(([code, file, message]) =>
      expect.objectContaining({
        code,
        file: expect.stringMatching(new RegExp(`${file.replace(/[.]/g, '\\.')}$`)),
        message: expect.stringMatching(message),
      }),
    ),
  );
}

describe('checkCourse on the valid fixture', () => {
  it('finds nothing wrong and reports the section covered', () => {
    const report = fixtureTree().check();
    expect(report.problems, describeProblems(report.problems)).toEqual([]);
    expect(report.uncovered).toBe(0);
    expect(report.coverage).toEqual([
      expect.objectContaining({
        section: expect.objectContaining({ id: 'demo-syscalls' }),
        lessonSections: ['demo-lesson#crossing'],
        cards: ['demo-cost', 'demo-cloze'],
        quizNodes: ['demo-quiz/first', 'demo-quiz/second'],
        covered: true,
      }),
    ]);
  });
});

describe('duplicate ids', () => {
  it('reports a card id used twice, naming the file of the first', () => {
    const tree = fixtureTree();
    tree.write(
      'parts/01-demo/cards/more.yaml',
      '- id: demo-cost\n  type: number\n  section: demo-syscalls\n  lesson: demo-lesson#crossing\n  front: "a"\n  back: "b"\n',
    );
    expectProblems(tree.problems(), [['duplicate', 'cards/more.yaml', /card id "demo-cost" is already used in .*cards\/demo\.yaml/]]);
  });

  it('reports duplicate lesson ids and duplicate anchors within a lesson', () => {
    const tree = fixtureTree();
    tree.write('parts/02-more/part.yaml', 'id: p2\ntitle: "Two"\norder: 2\nsummary: "s"\n');
    tree.write(
      'parts/02-more/lessons/demo-lesson.md',
      '---\nid: demo-lesson\ntitle: t\norder: 1\nsummary: s\nminutes: 1\nsections:\n  - { anchor: crossing, teaches: [demo-syscalls] }\n---\n## A {#crossing}\n## B {#crossing}\n',
    );
    expectProblems(tree.problems(), [
      ['duplicate', '02-more/lessons/demo-lesson.md', /lesson id "demo-lesson" is already used in .*01-demo/],
      ['duplicate', '02-more/lessons/demo-lesson.md', /anchor \{#crossing\} is used by 2 headings/],
    ]);
  });

  it('reports duplicate quiz ids across parts and duplicate node ids inside a quiz', () => {
    const tree = fixtureTree();
    tree.write('parts/02-more/part.yaml', 'id: p2\ntitle: "Two"\norder: 2\nsummary: "s"\n');
    tree.write('parts/02-more/quizzes/demo-quiz.yaml', fs.readFileSync(path.join(tree.root, QUIZ), 'utf8'));
    tree.edit(QUIZ, (t) => t.replace('  - id: second', '  - id: first').replace('next: second', 'next: first'));
    const text = describeProblems(tree.problems());
    expect(text).toMatch(/\[duplicate\] .*02-more\/quizzes\/demo-quiz\.yaml: quiz id "demo-quiz" is already used in .*01-demo/);
    expect(text).toMatch(/\[duplicate\] .*01-demo\/quizzes\/demo-quiz\.yaml: quiz "demo-quiz": node id "first" is used twice/);
  });
});

describe('broken references', () => {
  it('reports a card whose section, lesson or anchor does not exist', () => {
    const tree = fixtureTree();
    tree.edit(CARDS, (t) =>
      t
        .replace(
          'section: demo-syscalls\n  lesson: demo-lesson#crossing\n  front',
          'section: no-such-section\n  lesson: demo-lesson#nowhere\n  front',
        )
        .replace('lesson: demo-lesson#crossing\n  text', 'lesson: ghost-lesson#crossing\n  text'),
    );
    expectProblems(tree.problems(), [
      ['reference', 'cards/demo.yaml', /card "demo-cost": section "no-such-section" is not in sections\.yaml/],
      ['reference', 'cards/demo.yaml', /card "demo-cost": lesson "demo-lesson" has no heading with anchor "nowhere"/],
      ['reference', 'cards/demo.yaml', /card "demo-cloze": lesson "ghost-lesson" does not exist/],
      ['coverage', 'sections.yaml', /section "demo-syscalls" is taught by 1 lesson section and 1 card \(needs ≥ 1 and ≥ 2\)/],
    ]);
  });

  it('reports a lesson section whose anchor is missing, implicit, or teaches an unknown section', () => {
    const tree = fixtureTree();
    tree.edit(LESSON, (t) =>
      t.replace(
        '  - anchor: crossing\n    teaches: [demo-syscalls]',
        '  - anchor: crossing\n    teaches: [demo-syscalls, made-up]\n  - anchor: missing\n    teaches: [demo-syscalls]\n  - anchor: a-picture-of-it\n    teaches: [demo-syscalls]',
      ),
    );
    expectProblems(tree.problems(), [
      ['reference', 'demo-lesson.md', /teaches: "made-up" is not a section id/],
      ['reference', 'demo-lesson.md', /anchor "missing" is not a heading in this lesson \(add `\{#missing\}`/],
      ['reference', 'demo-lesson.md', /heading "A picture of it" must carry an explicit \{#a-picture-of-it\}/],
    ]);
  });

  it('reports an explicit anchor that is not a valid id', () => {
    const tree = fixtureTree();
    tree.edit(LESSON, (t) => t.replace('## A picture of it', '## A picture of it {#Picture_1}'));
    expectProblems(tree.problems(), [['schema', 'demo-lesson.md', /anchor \{#Picture_1\}; anchors must match/]]);
  });

  it('reports labs that have no labs/<id>/lab.yaml', () => {
    expectProblems(fixtureTree().problems(new Set()), [
      ['reference', 'demo-lesson.md', /labs: "demo-lab" has no labs\/demo-lab\/lab\.yaml/],
    ]);
  });

  it('reports quiz cards, sections, start and targets that do not exist', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) =>
      t
        .replace('sections: [demo-syscalls]', 'sections: [demo-syscalls, nope]')
        .replace('cards: [demo-cost]\n', 'cards: [demo-cost, ghost-card]\n')
        .replace('leaf: batch', 'leaf: nowhere'),
    );
    expectProblems(tree.problems(), [
      ['reference', 'demo-quiz.yaml', /sections: "nope" is not in sections\.yaml/],
      ['reference', 'demo-quiz.yaml', /node "first": card "ghost-card" does not exist/],
      ['reference', 'demo-quiz.yaml', /node "second" choice 1 \("Batch with writev"\): leaf "nowhere" is not a leaf id/],
      ['quiz', 'demo-quiz.yaml', /leaf "batch" is not reachable from start "first"/],
    ]);
  });

  it('reports a start that is not a node', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) => t.replace('start: first', 'start: zeroth'));
    expectProblems(tree.problems(), [['reference', 'demo-quiz.yaml', /start "zeroth" is not a node id/]]);
  });
});

describe('quiz tree shape', () => {
  it('requires exactly one correct choice per node', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) =>
      t.replace('      - label: "Add threads"\n', '      - label: "Add threads"\n        correct: true\n        leaf: batch\n'),
    );
    expectProblems(tree.problems(), [
      ['quiz', 'demo-quiz.yaml', /node "second" has 2 correct choices; exactly one must have correct: true/],
    ]);
  });

  it('requires a correct choice to have exactly one of next / leaf, and a wrong one neither', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) =>
      t
        .replace('        next: second\n', '        next: second\n        leaf: batch\n')
        .replace('      - label: "Buy a faster disk"\n', '      - label: "Buy a faster disk"\n        next: second\n'),
    );
    expectProblems(tree.problems(), [
      ['quiz', 'demo-quiz.yaml', /node "first" choice 1 .* is right in some scenario, so it needs exactly one of next \/ leaf \(has 2\)/],
      [
        'quiz',
        'demo-quiz.yaml',
        /node "first" choice 2 \("Buy a faster disk"\) is right in no scenario, so it must have neither next nor leaf/,
      ],
    ]);
  });

  it('reports nodes and leaves not reachable from start', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) =>
      t.replace(
        'leaves:\n',
        '  - id: orphan\n    prompt: "p"\n    cards: [demo-cost]\n    choices:\n      - { label: "a", correct: true, leaf: lonely, feedback: "f" }\n      - { label: "b", feedback: "f" }\nleaves:\n  - { id: lonely, title: "t", body: "b" }\n',
      ),
    );
    expectProblems(tree.problems(), [
      ['quiz', 'demo-quiz.yaml', /node "orphan" is not reachable from start "first"/],
      ['quiz', 'demo-quiz.yaml', /leaf "lonely" is not reachable from start "first"/],
    ]);
  });

  it('reports a cycle, naming the loop', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) => t.replace('        leaf: batch\n', '        next: first\n'));
    const problems = tree.problems();
    expect(describeProblems(problems)).toMatch(/\[quiz\] .*demo-quiz\.yaml: quiz "demo-quiz": cycle first → second → first/);
    expect(describeProblems(problems)).toMatch(/leaf "batch" is not reachable/);
  });
});

describe('quiz scenarios', () => {
  const SCENARIOS = /scenarios:\n[\s\S]*$/;

  it('asks for at least two scenarios', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) => t.replace(SCENARIOS, 'scenarios:\n  - { id: writes, title: "Writes" }\n'));
    expectProblems(tree.problems(), [
      [
        'quiz',
        'demo-quiz.yaml',
        /node "second" choice 3 \("Queue them in an io_uring"\) is right in no scenario, so it must have neither next nor leaf/,
      ],
      ['quiz', 'demo-quiz.yaml', /has 1 scenario; a quiz needs at least 2 that lead down different branches/],
      ['quiz', 'demo-quiz.yaml', /leaf "ring" is not reachable from start "first" in any scenario/],
    ]);
  });

  it('reports scenarios that name missing nodes or choices, or nodes off their walk', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) =>
      t.replace(
        SCENARIOS,
        [
          'scenarios:',
          '  - { id: writes, title: "Writes", evidence: { ghost: "x" } }',
          '  - { id: reads, title: "Reads", answers: { second: 2, first: 4 } }',
          '  - { id: other, title: "Other", answers: { second: 2 }, prompts: { nowhere: "p" } }',
          '',
        ].join('\n'),
      ),
    );
    expectProblems(tree.problems(), [
      ['reference', 'demo-quiz.yaml', /scenario "writes" evidence: "ghost" is not a node id/],
      ['reference', 'demo-quiz.yaml', /scenario "reads" answers: node "first" has no choice 4 \(indexes start at 0\)/],
      ['reference', 'demo-quiz.yaml', /scenario "other" prompts: "nowhere" is not a node id/],
    ]);
  });

  it('requires each scenario to take its own path, and the first to be the tree as written', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) =>
      t.replace(
        SCENARIOS,
        [
          'scenarios:',
          '  - { id: reads, title: "Reads", answers: { second: 2 } }',
          '  - { id: writes, title: "Writes" }',
          '  - { id: again, title: "Reads again", answers: { second: 2 }, evidence: { first: "strace -c" } }',
          '',
        ].join('\n'),
      ),
    );
    expectProblems(tree.problems(), [
      ['quiz', 'demo-quiz.yaml', /scenario "reads" is first, so it must be the tree as written/],
      ['quiz', 'demo-quiz.yaml', /scenario "again" walks the same path as scenario "reads"; a scenario must lead down a different branch/],
    ]);
  });

  it('reports evidence for a node the scenario never reaches, and a scenario that loops', () => {
    const tree = fixtureTree();
    tree.edit(QUIZ, (t) =>
      t
        .replace(
          '        feedback: "More threads make more crossings."\n',
          '        next: first\n        feedback: "More threads make more crossings."\n',
        )
        .replace(
          SCENARIOS,
          [
            'scenarios:',
            '  - { id: writes, title: "Writes" }',
            '  - { id: reads, title: "Reads", answers: { second: 2 } }',
            '  - { id: threads, title: "Threads", answers: { second: 1 } }',
            '',
          ].join('\n'),
        ),
    );
    const text = describeProblems(tree.problems());
    expect(text).toMatch(/scenario "threads" never reaches a leaf: it loops back to node "first"/);
    expect(text).toMatch(/cycle first → second → first/);
  });
});

describe('coverage', () => {
  it('marks a section with no lesson section and no cards as uncovered', () => {
    const tree = fixtureTree();
    tree.edit('sections.yaml', (t) => `${t}- { id: demo-extra, part: p1, title: "Untaught", heading: "The cost of a syscall" }\n`);
    const report = tree.check();
    expect(report.uncovered).toBe(1);
    expect(report.coverage.find((r) => r.section.id === 'demo-extra')).toMatchObject({ lessonSections: [], cards: [], covered: false });
    expectProblems(report.problems, [['coverage', 'sections.yaml', /section "demo-extra" is taught by 0 lesson sections and 0 cards/]]);
  });

  it('reports a dissertation heading that no section names, and a section naming a heading that does not exist', () => {
    const tree = fixtureTree();
    tree.edit('sections.yaml', (t) => t.replace('heading: "The cost of a syscall"', 'heading: "The price of a syscall"'));
    expectProblems(tree.check().problems, [
      ['coverage', 'sections.yaml', /dissertation section "The cost of a syscall" is named by no entry/],
      [
        'reference',
        'sections.yaml',
        /section "demo-syscalls" names heading "The price of a syscall", which the dissertation does not have/,
      ],
    ]);
  });

  it('counts quiz nodes through the sections of the cards they link', () => {
    const tree = fixtureTree();
    tree.edit('sections.yaml', (t) => `${t}- { id: demo-extra, part: p1, title: "Extra", heading: "The cost of a syscall" }\n`);
    tree.edit(
      CARDS,
      (t) => `${t}- { id: extra-1, type: qa, section: demo-extra, lesson: "demo-lesson#crossing", front: "f", back: "b" }\n`,
    );
    tree.edit(QUIZ, (t) => t.replace('cards: [demo-cost]\n', 'cards: [demo-cost, extra-1]\n'));
    const row = tree.check().coverage.find((r) => r.section.id === 'demo-extra');
    expect(row).toMatchObject({ cards: ['extra-1'], quizNodes: ['demo-quiz/first'], covered: false });
  });
});
