import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import diff from 'highlight.js/lib/languages/diff';
import ini from 'highlight.js/lib/languages/ini';
import json from 'highlight.js/lib/languages/json';
import plaintext from 'highlight.js/lib/languages/plaintext';
import shell from 'highlight.js/lib/languages/shell';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked, type Token, type Tokens } from 'marked';
import { anchorHeadings, plainText } from './headings';
import { CLOZE_DELETION } from './schema';

/**
 * Markdown → HTML for lessons, card faces and quiz text.
 *
 * Safety model: content is reviewed but still treated as untrusted markup. Raw HTML in Markdown
 * is escaped (shown as text, never passed through), link and image URLs are limited to http(s),
 * mailto and relative ones, and every attribute value is escaped. Highlighted code comes from
 * highlight.js, which escapes its input. The output can be set with `dangerouslySetInnerHTML`.
 */

hljs.registerLanguage('c', c);
hljs.registerLanguage('bash', bash); // aliases: sh, zsh
hljs.registerLanguage('shell', shell); // aliases: console, shellsession
hljs.registerLanguage('plaintext', plaintext); // aliases: text, txt
hljs.registerLanguage('yaml', yaml);
hljs.registerLanguage('json', json);
hljs.registerLanguage('diff', diff);
hljs.registerLanguage('ini', ini);

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** A URL is safe when it has no scheme (relative, `#frag`) or one of http, https, mailto. */
function isSafeUrl(href: string): boolean {
  // Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
  const compact = [...href].filter((ch) => ch.charCodeAt(0) > 0x20 && (ch.charCodeAt(0) < 0x7f || ch.charCodeAt(0) > 0x9f)).join('');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(compact);
  return scheme === null || ['http', 'https', 'mailto'].includes((scheme[1] ?? '').toLowerCase());
}

/** Per-render facts the renderer needs about tokens; keyed by token object. */
interface RenderState {
  headingIds: WeakMap<Tokens.Heading, string>;
  diagramLabels: WeakMap<Tokens.Code, string>;
}
let state: RenderState | undefined;

function highlight(code: string, lang: string | undefined): { html: string; language: string } {
  const requested = (lang ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const language = requested !== '' && hljs.getLanguage(requested) ? requested : 'plaintext';
  return { html: hljs.highlight(code, { language, ignoreIllegals: true }).value, language };
}

function isNowTrue(token: Tokens.Blockquote): boolean {
  const first = token.tokens[0];
  if (first?.type !== 'paragraph') return false;
  const lead = (first as Tokens.Paragraph).tokens[0];
  return lead?.type === 'strong' && plainText([lead]).replace(/\s+/g, ' ').toLowerCase() === 'now true:';
}

const markdown = new Marked({
  gfm: true,
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    heading(token) {
      const id = state?.headingIds.get(token);
      const idAttr = id === undefined ? '' : ` id="${escapeHtml(id)}"`;
      return `<h${token.depth}${idAttr}>${this.parser.parseInline(token.tokens)}</h${token.depth}>\n`;
    },
    code(token) {
      if (token.lang?.trim() === 'diagram') {
        const label = state?.diagramLabels.get(token) ?? 'Diagram';
        return `<figure class="diagram" role="img" aria-label="${escapeHtml(label)}">` + `<pre>${escapeHtml(token.text)}</pre></figure>\n`;
      }
      const { html, language } = highlight(token.text, token.lang);
      // Long lines scroll inside the block; tabindex lets a keyboard reach it to scroll it.
      return `<pre tabindex="0"><code class="hljs language-${escapeHtml(language)}">${html}</code></pre>\n`;
    },
    blockquote(token) {
      const cls = isNowTrue(token) ? ' class="now-true"' : '';
      return `<blockquote${cls}>\n${this.parser.parse(token.tokens)}</blockquote>\n`;
    },
    link({ href, title, tokens }) {
      const inner = this.parser.parseInline(tokens);
      if (!isSafeUrl(href)) return inner;
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
      const external = /^https?:/i.test(href) ? ' rel="noopener noreferrer"' : '';
      return `<a href="${escapeHtml(href)}"${titleAttr}${external}>${inner}</a>`;
    },
    image({ href, title, text }) {
      if (!isSafeUrl(href)) return escapeHtml(text);
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
      return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}"${titleAttr}>`;
    },
  },
});

function prepare(tokens: Token[]): RenderState {
  const headingIds = new WeakMap<Tokens.Heading, string>();
  const diagramLabels = new WeakMap<Tokens.Code, string>();
  const headings = new Map(anchorHeadings(tokens).map((a) => [a.token, a.heading]));
  let nearest: string | undefined;
  markdown.walkTokens(tokens, (token) => {
    if (token.type === 'heading') {
      const heading = headings.get(token as Tokens.Heading);
      if (heading) {
        headingIds.set(token as Tokens.Heading, heading.anchor);
        nearest = heading.text;
      }
    } else if (token.type === 'code' && nearest !== undefined && nearest !== '') {
      diagramLabels.set(token as Tokens.Code, nearest);
    }
  });
  return { headingIds, diagramLabels };
}

/**
 * Renders a lesson body, card face or quiz prompt to HTML.
 *
 * Headings get `id`s from `{#anchor}` (the marker itself is removed) or a slug of their text,
 * matching `Lesson.headings`. ```diagram blocks become `<figure class="diagram" role="img">`
 * labelled with the nearest preceding heading (else "Diagram"); `> **Now true:**` blockquotes get
 * `class="now-true"`. Synchronous and safe to call concurrently (no awaits inside).
 */
export function renderMarkdown(source: string): string {
  const tokens = markdown.lexer(source);
  const previous = state;
  state = prepare(tokens);
  try {
    return markdown.parser(tokens);
  } finally {
    state = previous;
  }
}

/** Renders one line of Markdown without a wrapping `<p>` (quiz choice labels, titles). */
export function renderInline(source: string): string {
  return markdown.parseInline(source, { async: false });
}

/** The `{{deletions}}` of a cloze text, in order (what the learner must recall). */
export function clozeDeletions(text: string): string[] {
  return [...text.matchAll(CLOZE_DELETION)].map((m) => m[1] ?? '');
}

/**
 * Renders a cloze card's text. With `reveal` false every deletion becomes a blank
 * (`<span class="cloze-blank">`); with `reveal` true each shows its answer in
 * `<mark class="cloze">`. All deletions hide and show together, as FORMAT.md specifies.
 *
 * @example renderCloze('The {{vDSO}} maps time data.', false)
 *   // '<p>The <span class="cloze-blank" aria-label="blank">[…]</span> maps time data.</p>\n'
 */
export function renderCloze(text: string, reveal: boolean): string {
  const answers: string[] = [];
  // Private-use markers survive Markdown untouched; strip any the author typed.
  const marked = text
    .replace(/[\uE000\uE001]/g, '')
    .replace(CLOZE_DELETION, (_match, answer: string) => `\uE000${answers.push(answer) - 1}\uE001`);
  return renderMarkdown(marked).replace(/\uE000(\d+)\uE001/g, (_match, index: string) => {
    if (!reveal) return '<span class="cloze-blank" aria-label="blank">[…]</span>';
    return `<mark class="cloze">${renderInline(answers[Number(index)] ?? '')}</mark>`;
  });
}
