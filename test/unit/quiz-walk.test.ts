import { describe, expect, it } from 'vitest';
import type { Quiz } from '@/lib/content';
import { nodeAsShown, walkScenario } from '@/lib/content';
import { chooseOnNode, findScenario, scoreWalk } from '@/lib/quiz/walk';

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
