import { rightChoiceIndex, walkScenario } from '@/lib/content/scenarios';
import type { Quiz, QuizLeaf, QuizNode, QuizScenario } from '@/lib/content/schema';

/**
 * Walking a decision-tree quiz: pure, no I/O. In a given scenario a node has exactly one right
 * choice (its `correct: true` one unless the scenario answers otherwise; content:check guarantees
 * it leads somewhere); a wrong choice keeps the learner on the node with feedback, the right one
 * moves to the next node or ends the walk at a leaf.
 */

export type ChoiceOutcome =
  | { correct: false; feedback: string }
  | { correct: true; feedback: string; next: { kind: 'node'; node: QuizNode } | { kind: 'leaf'; leaf: QuizLeaf } };

export function findNode(quiz: Quiz, nodeId: string): QuizNode | undefined {
  return quiz.nodes.find((n) => n.id === nodeId);
}

export function findLeaf(quiz: Quiz, leafId: string): QuizLeaf | undefined {
  return quiz.leaves.find((l) => l.id === leafId);
}

/** The scenario with `id`, or the first (the tree as written) for an attempt without one or with an id content dropped. */
export function findScenario(quiz: Quiz, id: string | null): QuizScenario | undefined {
  return quiz.scenarios.find((s) => s.id === id) ?? quiz.scenarios[0];
}

/**
 * What choosing `choiceIndex` on `node` means in `scenario` (default: the tree as written).
 * Throws RangeError for an index the node lacks.
 */
export function chooseOnNode(quiz: Quiz, node: QuizNode, choiceIndex: number, scenario?: QuizScenario): ChoiceOutcome {
  const choice = node.choices[choiceIndex];
  if (!choice) throw new RangeError(`node "${node.id}" has no choice ${choiceIndex}`);
  if (choiceIndex !== rightChoiceIndex(node, scenario)) return { correct: false, feedback: choice.feedback };
  if (choice.next) {
    const next = findNode(quiz, choice.next);
    if (!next) throw new Error(`quiz "${quiz.id}": node "${choice.next}" is missing`);
    return { correct: true, feedback: choice.feedback, next: { kind: 'node', node: next } };
  }
  const leaf = choice.leaf ? findLeaf(quiz, choice.leaf) : undefined;
  if (!leaf) throw new Error(`quiz "${quiz.id}": choice ${choiceIndex} of "${node.id}" leads nowhere`);
  return { correct: true, feedback: choice.feedback, next: { kind: 'leaf', leaf } };
}

export interface StepRecord {
  nodeId: string;
  choiceIndex: number;
  correct: boolean;
}

export interface WalkScore {
  /** Nodes answered correctly (the path walked so far). */
  nodesPassed: number;
  /** Of those, how many were right on the first try. */
  firstTry: number;
  /** Nodes where the learner chose wrong at least once, in the order met. */
  missedNodeIds: string[];
  /** Cards tested by the missed nodes (deduplicated): they come back in review. */
  missedCardIds: string[];
}

/** Scores a walk from its recorded steps. */
export function scoreWalk(quiz: Quiz, steps: readonly StepRecord[]): WalkScore {
  const missed: string[] = [];
  const passed = new Set<string>();
  let firstTry = 0;
  for (const s of steps) {
    if (!s.correct) {
      if (!missed.includes(s.nodeId)) missed.push(s.nodeId);
    } else if (!passed.has(s.nodeId)) {
      passed.add(s.nodeId);
      if (!missed.includes(s.nodeId)) firstTry += 1;
    }
  }
  const cards = new Set<string>();
  for (const id of missed) for (const c of findNode(quiz, id)?.cards ?? []) cards.add(c);
  return { nodesPassed: passed.size, firstTry, missedNodeIds: missed, missedCardIds: [...cards] };
}

/** One question of a finished walk: what the learner chose there, in order, next to the right choice. */
export interface PathStep {
  nodeId: string;
  /** The question as this scenario asked it, as plain text (one sentence or so). */
  question: string;
  /** The learner's choices on this node in the order made; the last is the right one once passed. */
  taken: { label: string; correct: boolean }[];
  /** The choice an expert makes here (the scenario's right one). */
  ideal: string;
}

/**
 * The path a walk took beside the ideal path of its scenario: every node of the ideal path (right
 * choices from the start), with the learner's choices there. A wrong choice keeps the learner on
 * the node, so the two paths visit the same questions; they differ in the detours taken.
 */
export function comparePaths(quiz: Quiz, scenario: QuizScenario | undefined, steps: readonly StepRecord[]): PathStep[] {
  const ideal = scenario ? walkScenario(quiz, scenario).nodes : [];
  return ideal.map((nodeId) => {
    const node = findNode(quiz, nodeId);
    if (!node) throw new Error(`quiz "${quiz.id}" lost node "${nodeId}"`);
    const right = node.choices[rightChoiceIndex(node, scenario)];
    return {
      nodeId,
      question: plainSnippet(scenario?.prompts[nodeId] ?? node.prompt),
      taken: steps
        .filter((s) => s.nodeId === nodeId)
        .map((s) => ({ label: node.choices[s.choiceIndex]?.label ?? '?', correct: s.correct })),
      ideal: right?.label ?? '?',
    };
  });
}

/**
 * Markdown as one short line of plain text: all of it when it fits in `max` characters, else its
 * question (the last sentence ending in "?") when that fits, else its first `max` characters.
 */
export function plainSnippet(markdown: string, max = 160): string {
  const text = markdown
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\{\{(.+?)\}\}/g, '[…]')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= max) return text;
  const question = text
    .match(/[^.?!]+\?/g)
    ?.at(-1)
    ?.trim();
  if (question && question.length <= max) return question;
  return `${text.slice(0, max - 1).trimEnd()}…`;
}
