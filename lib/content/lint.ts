import type { Card, LintException, LintRule } from './schema';
import { CLOZE_DELETION } from './schema';

/**
 * Card lint: the mechanical signs of a weak flashcard, reported as warnings (they never fail
 * `content:check` on their own; the count is printed as `lint=<n>` and the real-course test
 * keeps it at zero). A lint hit is a question to a reviewer, not proof: a reviewer who decides a
 * card is fine records the (card, rule) pair with a reason in `content/lint-exceptions.yaml`.
 *
 * What a good card is (issue 14): one idea, unambiguous, an answer the learner can check, not
 * guessable from the question. The rules catch the shapes that most often break that:
 *
 * - `binary-cloze`     a deletion whose answer is one of two (`{{does not}}`, `{{before}}`,
 *                      `{{higher}}`): the learner guesses it from the sentence, at 50 %.
 * - `cloze-overload`   a cloze with more than `MAX_CLOZE_DELETIONS` deletions: several facts
 *                      in one card, graded as one.
 * - `enumeration`      a prompt asking for a list ("Name four…", "Three rules for…", "List…").
 * - `double-question`  a prompt that asks two questions at once ("What is X, and how do you see it?");
 *                      not for scenarios, whose "what is wrong, what do you do" is one diagnosis.
 * - `long-answer`      an answer longer than a card should be (`MAX_ANSWER_WORDS`, more for a
 *                      scenario), which the learner cannot check in one look.
 * - `near-duplicate`   two cards whose prompts share most of their words (`NEAR_DUPLICATE`):
 *                      the learner reviews the same fact twice, on two schedules.
 */

export interface LintWarning {
  /** The card the warning is about (for `near-duplicate`, the later card of the pair). */
  card: string;
  file: string;
  rule: LintRule;
  message: string;
}

export const MAX_CLOZE_DELETIONS = 2;
export const MAX_ANSWER_WORDS = 45;
export const MAX_SCENARIO_ANSWER_WORDS = 60;
/** Jaccard similarity of two prompts' content words at or above which they are near-duplicates. */
export const NEAR_DUPLICATE = 0.6;

/** The thresholds above, in one object for the README and tests. */
export const LINT_DEFAULTS = { MAX_CLOZE_DELETIONS, MAX_ANSWER_WORDS, MAX_SCENARIO_ANSWER_WORDS, NEAR_DUPLICATE } as const;

type LintCard = Card & { file: string };

/** Deletions that have an obvious opposite, so the sentence gives the answer away. */
const BINARY_DELETION =
  /^(not|no|yes|never|always|only|does|does not|doesn't|do|do not|don't|is|is not|isn't|are|are not|aren't|can|cannot|can't|can not|will|will not|won't|must|must not|should|should not|true|false|more|less|fewer|higher|lower|larger|smaller|faster|slower|better|worse|before|after|above|below|increases?|decreases?|rises?|falls?|with|without|both|neither|either|same|different|synchronous|asynchronous|blocking|non-blocking|on|off|enabled|disabled|in|out|up|down|read|write|first|last|all|none|one|zero)$/;

const ENUMERATION = [
  /\b(name|list|give|state|recall)\s+(the\s+)?(two|three|four|five|six|seven|eight|\d+)\b/i,
  /^\s*(two|three|four|five|six|seven|eight|\d+)\s+(\w+\s+){0,2}(rules|ways|things|reasons|steps|causes|fixes|signs|symptoms|costs|kinds|types|questions|facts|options|tools|levels|layers|stages|fields|flags|places|sources|habits|checks)\b/i,
  /\b(which|what) (are )?(the )?(two|three|four|five|six|seven|eight) \w+/i,
  /^\s*(list|name|enumerate)\b/i,
];

/**
 * A question mark in the middle of the prompt, or ", and what/how/which…" joining two questions.
 * "…, and why?" is not flagged: the reason for the answer belongs to the same idea.
 */
const DOUBLE_QUESTION = [
  /\?\s*(and|or|then)?\s*(what|how|which|when|where|who|can|does|is)\b/i,
  /,\s*and\s+(what|how|which|when|where|who)\b/i,
];

const STOPWORDS = new Set(
  'a an the and or but of to in on at by for with from as is are was were be been being it its this that these those what which who whom whose when where why how does do did can could would should will shall may might must not no than then so if into onto about over under your you their there here one two per via vs versus'.split(
    ' ',
  ),
);

/** The question a card asks: `front`, or a cloze's text with its deletions filled in. */
export function cardPrompt(card: Card): string {
  return card.type === 'cloze' ? card.text.replace(CLOZE_DELETION, '$1') : card.front;
}

function answerText(card: Card): string {
  return card.back ?? '';
}

/** Lower-cased content words of a prompt (Markdown and punctuation dropped, crude plural stem). */
export function contentWords(text: string): Set<string> {
  const words = text
    .toLowerCase()
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/[^a-z0-9_+./-]+/g, ' ')
    .split(/\s+/)
    .map((w) => w.replace(/^[./-]+|[./-]+$/g, ''))
    .filter((w) => w.length > 1 && !STOPWORDS.has(w))
    .map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
  return new Set(words);
}

/** |A ∩ B| / |A ∪ B|; 0 for two empty sets. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const w of a) if (b.has(w)) shared += 1;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}

function wordCount(text: string): number {
  return text
    .replace(/```[\s\S]*?```/g, ' ')
    .split(/\s+/)
    .filter((w) => /[A-Za-z0-9]/.test(w)).length;
}

/** The rules that look at one card alone. */
function lintOne(card: LintCard): LintWarning[] {
  const out: LintWarning[] = [];
  const warn = (rule: LintRule, message: string) => out.push({ card: card.id, file: card.file, rule, message });

  if (card.type === 'cloze') {
    const deletions = [...card.text.matchAll(CLOZE_DELETION)].map((m) => (m[1] ?? '').trim());
    for (const d of deletions) {
      if (BINARY_DELETION.test(d.toLowerCase()))
        warn(
          'binary-cloze',
          `deletion {{${d}}} has an obvious opposite; the sentence gives it away — ask for something the learner must recall`,
        );
    }
    if (deletions.length > MAX_CLOZE_DELETIONS)
      warn('cloze-overload', `${deletions.length} deletions (max ${MAX_CLOZE_DELETIONS}): split it into cards that each test one fact`);
  } else {
    const front = card.type === 'scenario' ? card.front.replace(/```[\s\S]*?```/g, ' ') : card.front;
    if (ENUMERATION.some((re) => re.test(front)))
      warn('enumeration', 'asks for a list; ask for one item (or the one that matters most) per card');
    // A scenario's "what is wrong and what do you do" is one diagnosis, so scenarios are exempt.
    if (card.type !== 'scenario' && DOUBLE_QUESTION.some((re) => re.test(front.trim().replace(/\?\s*$/, ''))))
      warn('double-question', 'asks two questions at once; split it into two cards');
  }

  const limit = card.type === 'scenario' ? MAX_SCENARIO_ANSWER_WORDS : MAX_ANSWER_WORDS;
  const words = wordCount(answerText(card));
  if (words > limit)
    warn(
      'long-answer',
      `answer is ${words} words (max ${limit} for a ${card.type} card); keep what the learner must recall, move the rest to the lesson`,
    );
  return out;
}

/**
 * Lints every card. Pure. `exceptions` silence reviewed (card, rule) pairs; an exception that
 * silences nothing (the card is gone or no longer trips the rule) is reported itself, so the
 * list of exceptions cannot go stale.
 */
export function lintCards(
  cards: readonly LintCard[],
  exceptions: readonly LintException[] = [],
  exceptionsFile = 'lint-exceptions.yaml',
): LintWarning[] {
  const raw: LintWarning[] = cards.flatMap(lintOne);

  const words = cards.map((c) => contentWords(cardPrompt(c)));
  for (let i = 0; i < cards.length; i++) {
    for (let j = i + 1; j < cards.length; j++) {
      const a = cards[i] as LintCard;
      const b = cards[j] as LintCard;
      const score = jaccard(words[i] as Set<string>, words[j] as Set<string>);
      if (score >= NEAR_DUPLICATE)
        raw.push({
          card: b.id,
          file: b.file,
          rule: 'near-duplicate',
          message: `prompt shares ${Math.round(score * 100)} % of its words with card "${a.id}" (${a.file}); merge them or make each ask something different`,
        });
    }
  }

  const allowed = new Set(exceptions.map((e) => `${e.card}\u0000${e.rule}`));
  const used = new Set<string>();
  const warnings = raw.filter((w) => {
    const key = `${w.card}\u0000${w.rule}`;
    if (!allowed.has(key)) return true;
    used.add(key);
    return false;
  });
  for (const e of exceptions) {
    if (!used.has(`${e.card}\u0000${e.rule}`))
      warnings.push({
        card: e.card,
        file: exceptionsFile,
        rule: e.rule,
        message: `stale exception: card "${e.card}" no longer trips ${e.rule}; remove the entry`,
      });
  }
  return warnings;
}

/** `file: [lint rule] card "id": message`, the line `content:check` prints. */
export function formatLintWarning(w: LintWarning): string {
  return `${w.file}: [lint ${w.rule}] card "${w.card}": ${w.message}`;
}
