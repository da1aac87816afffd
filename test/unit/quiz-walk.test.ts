import { describe, expect, it } from 'vitest';
import type { Quiz } from '@/lib/content';
import { nodeAsShown, walkScenario } from '@/lib/content';
import { chooseOnNode, comparePaths, findScenario, plainSnippet, scoreWalk } from '@/lib/quiz/walk';

const quiz: Quiz = {
  id: 'tiny',
  title: 'Tiny',
  summary: 's',
  sections: ['s1'],
  start: 'a',
  nodes: [
    {
      id: 'a',
      prompt: 'first',
      cards: ['c1', 'c2'],
      choices: [
        { label: 'wrong', correct: false, feedback: 'no, because' },
        { label: 'right', correct: true, next: 'b', feedback: 'yes' },
      ],
    },
    {
      id: 'b',
      prompt: 'second',
      cards: ['c3'],
      choices: [
        { label: 'right', correct: true, leaf: 'end', feedback: 'done' },
        { label: 'wrong', correct: false, feedback: 'nope' },
        { label: 'right when the evidence says I/O', correct: false, leaf: 'io', feedback: 'when io is high' },
      ],
    },
  ],
  leaves: [
    { id: 'end', title: 'Use perf', body: 'perf top' },
    { id: 'io', title: 'Use biolatency', body: 'block I/O' },
  ],
  scenarios: [
    { id: 'cpu', title: 'CPU-bound', answers: {}, evidence: {}, prompts: {} },
    { id: 'io', title: 'I/O-bound', answers: { b: 2 }, evidence: { b: 'io some avg10=40' }, prompts: {} },
  ],
};

function node(i: number) {
  const n = quiz.nodes[i];
  if (!n) throw new Error(`fixture has no node ${i}`);
  return n;
}

describe('walking a decision tree (lib/quiz/walk)', () => {
  it('keeps the learner on a node after a wrong choice, with its feedback', () => {
    expect(chooseOnNode(quiz, node(0), 0)).toEqual({ correct: false, feedback: 'no, because' });
  });

  it('moves to the next node, then ends at the leaf', () => {
    const first = chooseOnNode(quiz, node(0), 1);
    expect(first).toMatchObject({ correct: true, next: { kind: 'node', node: { id: 'b' } } });
    const second = chooseOnNode(quiz, node(1), 0);
    expect(second).toMatchObject({ correct: true, next: { kind: 'leaf', leaf: { title: 'Use perf' } } });
  });

  it('makes a different choice right in another scenario, leading down its own branch', () => {
    const [cpu, io] = quiz.scenarios;
    if (!cpu || !io) throw new Error('fixture needs two scenarios');
    expect(chooseOnNode(quiz, node(1), 0, io)).toEqual({ correct: false, feedback: 'done' });
    expect(chooseOnNode(quiz, node(1), 2, io)).toMatchObject({ correct: true, next: { kind: 'leaf', leaf: { id: 'io' } } });
    expect(chooseOnNode(quiz, node(1), 2)).toEqual({ correct: false, feedback: 'when io is high' });
    expect(nodeAsShown(node(1), io).evidence).toBe('io some avg10=40');
    expect(walkScenario(quiz, cpu)).toEqual({ nodes: ['a', 'b'], leaf: 'end', problem: null, problemKind: null });
    expect(walkScenario(quiz, io)).toEqual({ nodes: ['a', 'b'], leaf: 'io', problem: null, problemKind: null });
  });

  it('reads an attempt without a scenario, or with one content dropped, as the first scenario', () => {
    expect(findScenario(quiz, null)?.id).toBe('cpu');
    expect(findScenario(quiz, 'gone')?.id).toBe('cpu');
  });

  it('rejects a choice the node does not have', () => {
    expect(() => chooseOnNode(quiz, node(0), 7)).toThrow(RangeError);
  });

  it('scores first-try answers and collects the missed nodes’ cards once', () => {
    const score = scoreWalk(quiz, [
      { nodeId: 'a', choiceIndex: 0, correct: false },
      { nodeId: 'a', choiceIndex: 1, correct: true },
      { nodeId: 'b', choiceIndex: 0, correct: true },
    ]);
    expect(score).toEqual({ nodesPassed: 2, firstTry: 1, missedNodeIds: ['a'], missedCardIds: ['c1', 'c2'] });
  });
});

describe('the end of a walk: the path taken beside the ideal path', () => {
  it('lists every question of the scenario’s ideal path with the learner’s choices there, wrong turns first', () => {
    const io = findScenario(quiz, 'io');
    const steps = [
      { nodeId: 'a', choiceIndex: 1, correct: true },
      { nodeId: 'b', choiceIndex: 0, correct: false },
      { nodeId: 'b', choiceIndex: 1, correct: false },
      { nodeId: 'b', choiceIndex: 2, correct: true },
    ];
    expect(comparePaths(quiz, io, steps)).toEqual([
      { nodeId: 'a', question: 'first', taken: [{ label: 'right', correct: true }], ideal: 'right' },
      {
        nodeId: 'b',
        question: 'second',
        taken: [
          { label: 'right', correct: false },
          { label: 'wrong', correct: false },
          { label: 'right when the evidence says I/O', correct: true },
        ],
        ideal: 'right when the evidence says I/O',
      },
    ]);
  });

  it('the ideal path follows the scenario, not the tree as written', () => {
    expect(comparePaths(quiz, findScenario(quiz, 'cpu'), []).map((p) => p.ideal)).toEqual(['right', 'right']);
    expect(comparePaths(quiz, findScenario(quiz, 'io'), []).map((p) => p.ideal)).toEqual(['right', 'right when the evidence says I/O']);
  });

  it('shortens a long prompt to its question, and strips Markdown', () => {
    expect(plainSnippet('Run `perf top` and **look**.')).toBe('Run perf top and look.');
    const long = `${'The service answers slowly under load and the graphs show nothing obvious at all. '.repeat(3)}Which file do you read first?`;
    expect(plainSnippet(long)).toBe('Which file do you read first?');
    expect(plainSnippet('x'.repeat(300), 20)).toHaveLength(20);
    expect(plainSnippet('The {{vDSO}} maps the clock.')).toBe('The […] maps the clock.');
  });
});
