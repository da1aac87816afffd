import { afterEach, describe, expect, it } from 'vitest';
import { findSharedRuns, indexSource, normalisedWords, proseChunks } from '@/lib/content';
import {
  CARDS,
  describeProblems,
  FIXTURE_DISSERTATION,
  fixtureTree,
  LESSON,
  QUIZ,
  removeFixtureTrees,
} from '../fixtures/content/fixture-tree';

afterEach(removeFixtureTrees);

// The fixture dissertation says: "The quick brown fox jumps over the lazy sleeping dog near the river bank today."
const EIGHT = 'quick brown fox jumps over the lazy sleeping';
const SEVEN = 'quick brown fox jumps over the lazy';

describe('plagiarism detector', () => {
  const index = indexSource(FIXTURE_DISSERTATION);

  it('catches a copied 8-word run and ignores a 7-word one', () => {
    expect(findSharedRuns(`Our text: ${EIGHT} cat.`, index)).toEqual([EIGHT]);
    expect(findSharedRuns(`Our text: ${SEVEN} cat.`, index)).toEqual([]);
  });

  it('sees through case, punctuation and Markdown, and merges overlapping matches into one run', () => {
    expect(findSharedRuns('THE *quick*, brown — fox jumps; over `the` lazy sleeping dog!', index)).toEqual([
      'the quick brown fox jumps over the lazy sleeping dog',
    ]);
    expect(normalisedWords("Don't  stop—the fox_jumps")).toEqual(['dont', 'stop', 'the', 'fox', 'jumps']);
  });

  it('skips code and command fences but checks diagram, text and untagged fences', () => {
    const chunks = proseChunks(
      ['Prose.', '```c', 'code here', '```', '```diagram', 'art', '```', '~~~', 'plain', '~~~', 'After.'].join('\n'),
    );
    expect(chunks).toEqual(['Prose.', 'art', 'plain', 'After.']);
  });

  it('reports a lesson, card and quiz that copy, naming the file and the shared words', () => {
    const tree = fixtureTree();
    tree.edit(LESSON, (t) => t.replace('Every request to the kernel', `Every request (${EIGHT}) to the kernel`));
    tree.edit(CARDS, (t) => t.replace('Hundreds of nanoseconds.', `The ${EIGHT} dog.`));
    tree.edit(QUIZ, (t) => t.replace('Measure before changing anything.', `Our ${SEVEN} one is fine.`));
    const problems = tree.problems();
    expect(
      problems.map((p) => [p.code, p.file.split('/').pop()]),
      describeProblems(problems),
    ).toEqual([
      ['plagiarism', 'demo-lesson.md'],
      ['plagiarism', 'demo.yaml'],
    ]);
    expect(problems[0]?.message).toContain(
      `lesson "demo-lesson" body shares 8 consecutive words with the dissertation (max 7); rewrite in our own words: "${EIGHT}"`,
    );
    expect(problems[1]?.message).toContain(`card "demo-cost" back shares 10 consecutive words`);
  });

  it('does not flag an API call sequence copied inside a c fence, but does in prose', () => {
    const tree = fixtureTree();
    const call = 'epoll_fd = epoll_create1(0); epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &event);';
    tree.edit(LESSON, (t) => t.replace('long n = syscall(SYS_getpid);', call));
    expect(describeProblems(tree.problems())).toBe('(no problems)');
    tree.edit(LESSON, (t) => t.replace('A picture of it\n', `A picture of it\n\nWe call ${call}\n`));
    expect(tree.problems().map((p) => p.code)).toEqual(['plagiarism']);
  });
});
