import { Lexer, type Token, type Tokens, walkTokens } from 'marked';
import type { Heading } from './schema';

/**
 * Heading anchors, shared by the loader (which records them for reference checks) and the
 * renderer (which writes them as `id`s), so a link that checks out is a link that works.
 *
 * Explicit anchors (`## Title {#anchor}`) are reserved first; headings without one get a slug of
 * their text, suffixed `-1`, `-2`… when it would collide with an anchor already taken. A
 * duplicate explicit anchor is kept as written (the checker reports it).
 */

/** Trailing `{#anchor}` on a heading line. Anything up to `}` is captured so bad ids get reported. */
const EXPLICIT_ANCHOR = /\s*\{#([^\s{}]*)\}\s*$/;

/** Lowercase, ASCII letters/digits/hyphens, ≤ 48 chars: always a valid id and a safe `id=""`. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, '')
    .trim()
    .replace(/[\s-]+/g, '-')
    .slice(0, 48)
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'section' : slug;
}

/** Flattens inline tokens to their visible text (for headings and aria-labels). */
export function plainText(tokens: readonly Token[]): string {
  let out = '';
  for (const token of tokens) {
    if (token.type === 'br') out += ' ';
    else if ('tokens' in token && Array.isArray(token.tokens) && token.tokens.length > 0) {
      out += plainText(token.tokens);
    } else if ('text' in token && typeof token.text === 'string') out += token.text;
  }
  return out.replace(/\s+/g, ' ').trim();
}

export interface AnchoredHeading {
  token: Tokens.Heading;
  heading: Heading;
}

/**
 * Strips `{#anchor}` from every heading token (mutating the tokens, so they render without it)
 * and returns the anchor each heading gets, in document order.
 */
export function anchorHeadings(tokens: Token[]): AnchoredHeading[] {
  const found: Array<{ token: Tokens.Heading; explicit: string | undefined }> = [];
  walkTokens(tokens, (token) => {
    if (token.type !== 'heading') return;
    const heading = token as Tokens.Heading;
    const match = EXPLICIT_ANCHOR.exec(heading.text);
    if (match) {
      heading.text = heading.text.slice(0, match.index);
      heading.tokens = Lexer.lexInline(heading.text);
    }
    found.push({ token: heading, explicit: match?.[1] });
  });

  const taken = new Set(found.flatMap((f) => (f.explicit === undefined ? [] : [f.explicit])));
  return found.map(({ token, explicit }) => {
    const text = plainText(token.tokens);
    if (explicit !== undefined) {
      return { token, heading: { depth: token.depth, text, anchor: explicit, explicit: true } };
    }
    const base = slugify(text);
    let anchor = base;
    for (let n = 1; taken.has(anchor); n++) anchor = `${base}-${n}`;
    taken.add(anchor);
    return { token, heading: { depth: token.depth, text, anchor, explicit: false } };
  });
}

/** Every heading of a Markdown document with its anchor (code fences are not mistaken for headings). */
export function parseHeadings(markdown: string): Heading[] {
  return anchorHeadings(Lexer.lex(markdown)).map((a) => a.heading);
}
