import type { Quiz, QuizNode, QuizScenario } from './schema';

/**
 * How a scenario walks a decision-tree quiz: pure, shared by content:check (every scenario must
 * reach a leaf) and lib/quiz (which choice is right for the learner's scenario).
 *
 * On each node the right choice is the scenario's `answers[node]`, or else the node's
 * `correct: true` choice; following right choices from `start` gives the scenario's path.
 */

/** Index of the choice that is right on `node` in `scenario` (the node's own `correct` one by default). */
export function rightChoiceIndex(node: QuizNode, scenario: QuizScenario | undefined): number {
  return scenario?.answers[node.id] ?? node.choices.findIndex((c) => c.correct);
}

/** The question and evidence of `node` as `scenario` shows them. */
export function nodeAsShown(node: QuizNode, scenario: QuizScenario | undefined): { prompt: string; evidence: string | undefined } {
  return { prompt: scenario?.prompts[node.id] ?? node.prompt, evidence: scenario?.evidence[node.id] ?? node.evidence };
}

export interface ScenarioPath {
  /** Node ids in the order the scenario meets them. */
  nodes: string[];
  /** The leaf it ends at, or null when the walk breaks (then `problem` says why). */
  leaf: string | null;
  problem: string | null;
  /** `loop` is the scenario's own fault; `broken` follows from a reference or choice that is broken itself. */
  problemKind: 'loop' | 'broken' | null;
}

/** Follows the right choices of `scenario` from the quiz's start to a leaf. */
export function walkScenario(quiz: Quiz, scenario: QuizScenario): ScenarioPath {
  const nodes: string[] = [];
  let id = quiz.start;
  for (;;) {
    const node = quiz.nodes.find((n) => n.id === id);
    if (!node) return { nodes, leaf: null, problem: `node "${id}" does not exist`, problemKind: 'broken' };
    if (nodes.includes(id)) return { nodes, leaf: null, problem: `it loops back to node "${id}"`, problemKind: 'loop' };
    nodes.push(id);
    const index = rightChoiceIndex(node, scenario);
    const choice = node.choices[index];
    if (!choice) return { nodes, leaf: null, problem: `node "${id}" has no choice ${index + 1} to be right`, problemKind: 'broken' };
    if (choice.next !== undefined) {
      id = choice.next;
      continue;
    }
    if (choice.leaf !== undefined && quiz.leaves.some((l) => l.id === choice.leaf))
      return { nodes, leaf: choice.leaf, problem: null, problemKind: null };
    return { nodes, leaf: null, problem: `choice ${index + 1} of node "${id}" leads to no node or leaf`, problemKind: 'broken' };
  }
}
