import { describe, expect, it } from 'vitest';
import type { Quiz } from '@/lib/content';
import { chooseOnNode, scoreWalk } from '@/lib/quiz/walk';

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
      ],
    },
  ],
  leaves: [{ id: 'end', title: 'Use perf', body: 'perf top' }],
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
