/**
 * The "our own words" rule: content may not share a run of `minWords` (8) or more consecutive
 * words with the dissertation.
 *
 * Words are compared after lowercasing, NFKC normalisation, deleting apostrophes ("don't" →
 * "dont") and treating every other non-letter, non-digit character (punctuation, Markdown
 * syntax, `_`, `->`) as whitespace. So re-punctuating or re-formatting a copied sentence does not
 * hide it.
 *
 * Judgement call on code: fenced blocks in a programming or command language (c, sh, bash, shell,
 * console, json, yaml, ini, diff, …) and quiz `evidence` are skipped, because an API call sequence
 * or a command (`epoll_ctl(epoll_fd, EPOLL_CTL_ADD, …)`, `cat /proc/<pid>/stack`) has one right
 * spelling and matching it is not copying prose. Fences tagged `diagram` or `text`, or untagged
 * ones, ARE checked: those hold drawings and prose-like lines, and the dissertation's diagrams
 * are exactly what must be redrawn rather than pasted. Inline `code` stays part of the sentence.
 * A run never spans two fields or a fence boundary (prose → diagram → prose are separate stretches).
 */

export const MIN_SHARED_WORDS = 8;

/** Languages whose fenced blocks are code or commands, not prose, and are not checked. */
export const CODE_FENCE_LANGUAGES: ReadonlySet<string> = new Set([
  'c',
  'h',
  'cpp',
  'sh',
  'bash',
  'shell',
  'zsh',
  'console',
  'shellsession',
  'json',
  'yaml',
  'yml',
  'ini',
  'toml',
  'diff',
  'python',
  'py',
  'go',
  'rust',
  'js',
  'ts',
  'asm',
  'nasm',
  'bpftrace',
  'make',
]);

/** The comparable words of a text (see module comment for the normalisation). */
export function normalisedWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’ʼ]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/**
 * Splits Markdown into the stretches the check compares: prose between fences, and the body of
 * each checked fence on its own; code/command fences are dropped.
 * Line-based: a fence opens with ≥3 backticks or tildes and closes with the same run.
 */
export function proseChunks(markdown: string): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let fence: { marker: string; skip: boolean } | undefined;
  for (const line of markdown.split(/\r?\n/)) {
    if (fence === undefined) {
      const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`{]*)/.exec(line);
      if (open) {
        const lang = (open[2] ?? '').toLowerCase();
        fence = { marker: open[1] ?? '```', skip: CODE_FENCE_LANGUAGES.has(lang) };
        chunks.push(current.join('\n'));
        current = [];
        continue;
      }
      current.push(line);
    } else {
      const close = new RegExp(`^ {0,3}${fence.marker[0] === '`' ? '`' : '~'}{${fence.marker.length},}\\s*$`);
      if (close.test(line)) {
        fence = undefined;
        chunks.push(current.join('\n'));
        current = [];
        continue;
      }
      if (!fence.skip) current.push(line);
    }
  }
  chunks.push(current.join('\n'));
  return chunks.filter((c) => c.trim() !== '');
}

/** Every `minWords`-gram of the dissertation; build once, query for every content field. */
export interface SourceIndex {
  minWords: number;
  grams: ReadonlySet<string>;
}

export function indexSource(source: string, minWords = MIN_SHARED_WORDS): SourceIndex {
  const grams = new Set<string>();
  const words = normalisedWords(source);
  for (let i = 0; i + minWords <= words.length; i++) grams.add(words.slice(i, i + minWords).join(' '));
  return { minWords, grams };
}

/**
 * The runs of ≥ `index.minWords` consecutive words that `text` shares with the indexed source,
 * each as its normalised words joined by spaces, overlapping matches merged into one run.
 * `text` is compared as one stretch; use `proseChunks` first for Markdown with code.
 */
export function findSharedRuns(text: string, index: SourceIndex): string[] {
  const words = normalisedWords(text);
  const k = index.minWords;
  const runs: string[] = [];
  let runStart = -1;
  let runEnd = -1; // exclusive
  for (let i = 0; i + k <= words.length; i++) {
    if (!index.grams.has(words.slice(i, i + k).join(' '))) continue;
    if (runStart !== -1 && i <= runEnd) runEnd = i + k;
    else {
      if (runStart !== -1) runs.push(words.slice(runStart, runEnd).join(' '));
      runStart = i;
      runEnd = i + k;
    }
  }
  if (runStart !== -1) runs.push(words.slice(runStart, runEnd).join(' '));
  return runs;
}
