import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

describe('the Markdown preview', () => {
  it('renders paragraphs, emphasis, lists and links', () => {
    const html = renderMarkdown('Курьер **звонит** за час.\n\n- Москва\n- Казань\n\n[Тарифы](https://example.ru/t)');
    expect(html).toContain('<strong>звонит</strong>');
    expect(html).toContain('<li>Казань</li>');
    expect(html).toContain('<a href="https://example.ru/t">Тарифы</a>');
  });

  it('shows raw HTML as text and drops dangerous link targets', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[клик](javascript:alert(1))');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('javascript:');
  });
});
