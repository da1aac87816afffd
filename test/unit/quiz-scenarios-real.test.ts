import { describe, expect, it } from 'vitest';
import { loadCourse, rightChoiceIndex } from '@/lib/content';
import { chooseOnNode, findNode, findScenario } from '@/lib/quiz/walk';

/**
 * Every scenario of every real quiz, walked to its leaf the way a learner walks it (issue 14):
 * each wrong choice keeps the learner on the node, the scenario's right choice moves on, and the
 * walk ends at a leaf. Scenarios of one quiz end at different places or take different paths.
 */
const course = loadCourse('content');

describe('real quizzes: every scenario walks to a leaf', () => {
  for (const quiz of course.quizzes) {
    it(`${quiz.id}: ${quiz.scenarios.length} scenarios, each down its own branch`, () => {
      expect(quiz.scenarios.length).toBeGreaterThanOrEqual(2);
      const walks = new Set<string>();
      for (const scenario of quiz.scenarios) {
        expect(findScenario(quiz, scenario.id)).toBe(scenario);
        const path: string[] = [];
        let node = findNode(quiz, quiz.start);
        let leaf: string | undefined;
        while (node && path.length <= quiz.nodes.length) {
          path.push(node.id);
          const right = rightChoiceIndex(node, scenario);
          for (const i of node.choices.keys()) {
            if (i !== right)
              expect(chooseOnNode(quiz, node, i, scenario), `${scenario.id}/${node.id} choice ${i}`).toMatchObject({ correct: false });
          }
          const outcome = chooseOnNode(quiz, node, right, scenario);
          if (!outcome.correct) throw new Error(`${scenario.id}: the right choice on ${node.id} was judged wrong`);
          if (outcome.next.kind === 'leaf') {
            leaf = outcome.next.leaf.id;
            node = undefined;
          } else {
            node = outcome.next.node;
          }
        }
        expect(leaf, `${quiz.id}/${scenario.id} ends at a leaf (walked ${path.join(' → ')})`).toBeDefined();
        walks.add(`${path.join('>')}>${leaf}`);
      }
      expect(walks.size).toBe(quiz.scenarios.length);
    });
  }

  it('tests the scheduler, namespaces, NUMA, eBPF privileges and the send path with at least one node each', () => {
    const sectionOfCard = new Map(course.cards.map((c) => [c.id, c.section]));
    const tested = new Set(course.quizzes.flatMap((q) => q.nodes.flatMap((n) => n.cards.map((c) => sectionOfCard.get(c)))));
    const topics = {
      scheduler: ['p1-cfs-vruntime-nice', 'p1-sched-fifo', 'p1-affinity'],
      namespaces: ['p5-ns-pid', 'p5-ns-net', 'p5-ns-mnt', 'p5-ns-uts', 'p5-ns-ipc', 'p5-ns-user', 'p5-ns-cgroup'],
      numa: ['x-numa'],
      'ebpf privileges': ['x-ebpf-security'],
      'send path': ['p4-send-path'],
    };
    for (const [topic, sections] of Object.entries(topics)) {
      expect(
        sections.some((s) => tested.has(s)),
        `${topic} is tested by no quiz node`,
      ).toBe(true);
    }
  });
});
