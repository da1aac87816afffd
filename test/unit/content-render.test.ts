import { describe, expect, it } from 'vitest';
import { clozeDeletions, loadCourse, renderCloze, renderInline, renderMarkdown } from '@/lib/content';
import { FIXTURE_ROOT } from '../fixtures/content/fixture-tree';

describe('renderMarkdown', () => {
  const html = renderMarkdown(loadCourse(FIXTURE_ROOT).lessons[0]?.body ?? '');

  it('gives headings ids from {#anchor} (removing the marker) and slugs otherwise', () => {
    expect(html).toContain('<h2 id="crossing">Crossing the border</h2>');
    expect(html).toContain('<h2 id="a-picture-of-it">A picture of it</h2>');
    expect(html).not.toContain('{#');
  });

  it('highlights fenced code with highlight.js', () => {
    expect(html).toContain('<pre tabindex="0"><code class="hljs language-c">');
    expect(html).toContain('<span class="hljs-type">long</span>');
    const shell = renderMarkdown('```console\n$ cat /proc/pressure/cpu\n```\n\n```sh\necho hi\n```\n\n```text\n<raw>\n```');
    expect(shell).toContain('class="hljs language-console"');
    expect(shell).toContain('class="hljs language-sh"');
    expect(shell).toContain('<code class="hljs language-text">&lt;raw&gt;</code>');
  });

  it('renders ```diagram as a labelled figure named after the nearest heading', () => {
    expect(html).toContain('<figure class="diagram" role="img" aria-label="A picture of it"><pre>app ──syscall──▶ kernel</pre></figure>');
    expect(renderMarkdown('```diagram\n[a] -> <b>\n```')).toBe(
      '<figure class="diagram" role="img" aria-label="Diagram"><pre>[a] -&gt; &lt;b&gt;</pre></figure>\n',
    );
  });

  it('marks "Now true" corrections with a class and leaves other quotes plain', () => {
    expect(html).toContain('<blockquote class="now-true">\n<p><strong>Now true:</strong>');
    expect(renderMarkdown('> just a quote')).toContain('<blockquote>\n');
  });

  it('escapes raw HTML and drops unsafe URLs instead of passing them through', () => {
    const out = renderMarkdown(
      'Hi <script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n[a](javascript:alert(1)) [b](JaVa\tScRiPt:alert(1)) ![c](data:text/html,x) [ok](https://kernel.org) [rel](/learn#x)',
    );
    expect(out).not.toMatch(/<script|<img|href="javascript|src="data/i);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(out).toContain('<a href="https://kernel.org" rel="noopener noreferrer">ok</a>');
    expect(out).toContain('<a href="/learn#x">rel</a>');
    expect(renderMarkdown('## Title {#"><script>}')).not.toContain('<script>');
    expect(renderInline('**x** <b>y</b>')).toBe('<strong>x</strong> &lt;b&gt;y&lt;/b&gt;');
  });
});

describe('renderCloze', () => {
  const text = 'The {{vDSO}} maps `{{clock}}` data <i>here</i>.';

  it('hides every deletion at once when not revealed', () => {
    const hidden = renderCloze(text, false);
    expect(hidden).toBe(
      '<p>The <span class="cloze-blank" aria-label="blank">[…]</span> maps <code><span class="cloze-blank" aria-label="blank">[…]</span></code> data &lt;i&gt;here&lt;/i&gt;.</p>\n',
    );
    expect(hidden).not.toContain('vDSO');
  });

  it('shows each answer in a mark when revealed', () => {
    expect(renderCloze(text, true)).toContain('The <mark class="cloze">vDSO</mark> maps <code><mark class="cloze">clock</mark></code>');
    expect(renderCloze('{{<script>x</script>}}', true)).not.toContain('<script>');
    expect(clozeDeletions(text)).toEqual(['vDSO', 'clock']);
  });
});
