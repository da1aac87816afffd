import { afterEach, describe, expect, it } from 'vitest';
import { type Card, contentWords, jaccard, type LintWarning, lintCards } from '@/lib/content';
import { CARDS, describeProblems, fixtureTree, removeFixtureTrees } from '../fixtures/content/fixture-tree';

afterEach(removeFixtureTrees);

const base = { section: 's', lesson: 'l#a', file: 'cards.yaml' } as const;
const qa = (id: string, front: string, back = 'An answer.'): Card & { file: string } => ({ ...base, id, type: 'qa', front, back });
const scenario = (id: string, front: string, back = 'An answer.'): Card & { file: string } => ({
  ...base,
  id,
  type: 'scenario',
  front,
  back,
});
const cloze = (id: string, text: string, back?: string): Card & { file: string } => ({ ...base, id, type: 'cloze', text, back });

const rules = (warnings: readonly LintWarning[]) => warnings.map((w) => `${w.card}:${w.rule}`);
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

describe('card lint: each rule catches a bad card and passes a good one', () => {
  it('binary-cloze: a deletion with an obvious opposite', () => {
    expect(rules(lintCards([cloze('bad', 'close() {{does not}} flush dirty pages to disk.')]))).toEqual(['bad:binary-cloze']);
    expect(rules(lintCards([cloze('bad2', 'A write() returns {{before}} the data reaches the disk.')]))).toEqual(['bad2:binary-cloze']);
    expect(rules(lintCards([cloze('good', 'Only {{fsync()}} (or fdatasync) makes written data durable.')]))).toEqual([]);
  });

  it('cloze-overload: more than two deletions in one cloze', () => {
    expect(rules(lintCards([cloze('bad', 'Exit {{139}} is SIGSEGV, {{134}} is SIGABRT and {{137}} is SIGKILL.')]))).toEqual([
      'bad:cloze-overload',
    ]);
    expect(rules(lintCards([cloze('good', 'A shell reports death by signal N as exit status {{128 + N}}.')]))).toEqual([]);
  });

  it('enumeration: a prompt that asks for a list', () => {
    expect(rules(lintCards([qa('bad', 'Name four sources of a SIGKILL.')]))).toEqual(['bad:enumeration']);
    expect(rules(lintCards([qa('bad2', 'Three rules for using SCHED_FIFO safely?')]))).toEqual(['bad2:enumeration']);
    expect(rules(lintCards([qa('bad3', 'Name operations io_uring can do besides read and write.')]))).toEqual(['bad3:enumeration']);
    expect(rules(lintCards([qa('good', 'Which signal does the OOM killer send?')]))).toEqual([]);
  });

  it('double-question: two questions in one prompt (but not "…, and why?", and not scenarios)', () => {
    expect(rules(lintCards([qa('bad', 'What is a NUMA node, and how do you list them?')]))).toEqual(['bad:double-question']);
    expect(rules(lintCards([qa('bad2', 'Does a default mutex spin? Which type does?')]))).toEqual(['bad2:double-question']);
    expect(rules(lintCards([qa('good', 'Why does taskset alone not keep memory on node 0?')]))).toEqual([]);
    expect(rules(lintCards([qa('good2', 'Roughly what RSS does the allocation add, and why?')]))).toEqual([]);
    expect(rules(lintCards([scenario('good3', '`dmesg` shows a segfault line. What happened, and what do you run next?')]))).toEqual([]);
  });

  it('long-answer: an answer longer than a card should be (scenarios get more room)', () => {
    expect(rules(lintCards([qa('bad', 'What is X?', words(46))]))).toEqual(['bad:long-answer']);
    expect(rules(lintCards([qa('good', 'What is X?', words(45))]))).toEqual([]);
    expect(rules(lintCards([scenario('good2', 'You see X. What next?', words(60))]))).toEqual([]);
    expect(rules(lintCards([scenario('bad2', 'You see X. What next?', words(61))]))).toEqual(['bad2:long-answer']);
  });

  it('near-duplicate: two prompts sharing most of their content words', () => {
    const a = cloze('first', 'A shell reports exit status {{139}} for SIGSEGV and {{137}} for SIGKILL.');
    const b = cloze('second', 'Shell exit status {{139}} means SIGSEGV and {{137}} means SIGKILL.');
    expect(lintCards([a, b])).toEqual([
      expect.objectContaining({ card: 'second', rule: 'near-duplicate', message: expect.stringMatching(/"first"/) }),
    ]);
    const c = qa('third', 'Which signal does a core-dumping crash on a NULL dereference raise?');
    expect(lintCards([a, c])).toEqual([]);
  });

  it('similarity works on content words, plural-insensitive', () => {
    expect([...contentWords('What are the `Dirty` pages?')]).toEqual(['dirty', 'page']);
    expect(jaccard(new Set(['a', 'b']), new Set(['a', 'b']))).toBe(1);
    expect(jaccard(new Set(), new Set())).toBe(0);
  });
});

describe('card lint exceptions', () => {
  it('silence a reviewed (card, rule) pair and report an exception that silences nothing', () => {
    const card = qa('kept', 'Name three flags of clone().');
    expect(lintCards([card], [{ card: 'kept', rule: 'enumeration', reason: 'reviewed' }])).toEqual([]);
    expect(lintCards([card], [{ card: 'kept', rule: 'long-answer', reason: 'stale' }])).toEqual([
      expect.objectContaining({ card: 'kept', rule: 'enumeration' }),
      expect.objectContaining({ card: 'kept', rule: 'long-answer', message: expect.stringMatching(/stale exception/) }),
    ]);
  });

  it('are read from lint-exceptions.yaml and applied by checkCourse', () => {
    const tree = fixtureTree();
    tree.edit(
      CARDS,
      (t) =>
        `${t}- id: demo-list\n  type: qa\n  section: demo-syscalls\n  lesson: demo-lesson#crossing\n  front: "Name four costs."\n  back: "b"\n`,
    );
    expect(rules(tree.check().lint)).toEqual(['demo-list:enumeration']);
    tree.write('lint-exceptions.yaml', '- { card: demo-list, rule: enumeration, reason: "reviewed in a test" }\n');
    expect(tree.check().lint).toEqual([]);
  });
});

describe('retired card ids', () => {
  it('may never come back', () => {
    const tree = fixtureTree();
    tree.write('retired-cards.yaml', '- { id: demo-cost, reason: "split" }\n- { id: demo-gone, reason: "merged" }\n');
    const problems = tree.problems();
    expect(problems, describeProblems(problems)).toEqual([
      expect.objectContaining({ code: 'duplicate', message: expect.stringMatching(/card id "demo-cost" was retired/) }),
    ]);
  });

  it('are listed once each', () => {
    const tree = fixtureTree();
    tree.write('retired-cards.yaml', '- { id: demo-gone, reason: "a" }\n- { id: demo-gone, reason: "b" }\n');
    const problems = tree.problems();
    expect(problems, describeProblems(problems)).toEqual([
      expect.objectContaining({ code: 'duplicate', message: 'retired card id "demo-gone" is listed twice' }),
    ]);
  });

  it('need a valid id and a reason', () => {
    const tree = fixtureTree();
    tree.write('retired-cards.yaml', '- { id: Bad_Id }\n');
    expect(describeProblems(tree.problems())).toMatch(/\[schema\] .*retired-cards\.yaml: \[0\]\.id: must match[\s\S]*\[0\]\.reason/);
  });
});
