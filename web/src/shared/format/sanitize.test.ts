import { describe, expect, it } from 'vitest';
import { safeHttpUrl, sanitizeSnippet } from './sanitize';

describe('sanitizeSnippet', () => {
  it('keeps mark and the server’s escaping', () => {
    expect(sanitizeSnippet('где мой <mark>заказ</mark> &lt;b&gt;')).toBe('где мой <mark>заказ</mark> &lt;b&gt;');
  });
  it('neutralises any other tag or attribute', () => {
    const out = sanitizeSnippet('<img src=x onerror=alert(1)><mark class="x">a</mark><script>x</script>');
    expect(out).not.toMatch(/<img|<script|<mark /);
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('&lt;script&gt;');
  });
  it('allows only the exact mark tags', () => {
    const el = document.createElement('div');
    el.innerHTML = sanitizeSnippet('a <mark>b</mark> <b>c</b> <MARK>d</MARK>');
    expect([...el.querySelectorAll('*')].map((e) => e.tagName)).toEqual(['MARK']);
  });
});

describe('safeHttpUrl', () => {
  it('keeps absolute http(s) URLs, normalised', () => {
    expect(safeHttpUrl('https://www.avito.ru/help/delivery')).toBe('https://www.avito.ru/help/delivery');
    expect(safeHttpUrl('  HTTP://Example.com ')).toBe('http://example.com/');
  });
  it('refuses other schemes, relative paths, junk and nothing', () => {
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'ftp://x.ru/f', 'mailto:a@b.ru', '/api/v1/x', '//evil.ru/x', 'www.avito.ru', '', null, undefined]) {
      expect(safeHttpUrl(bad), String(bad)).toBeNull();
    }
  });
});
