import { describe, expect, it } from 'vitest';
import { DESCRIPTION_CHARS, linkCardView } from './linkPreviews';

const preview = {
  url: 'https://www.avito.ru/help/delivery',
  domain: 'www.avito.ru',
  title: 'Авито Доставка',
  description: 'Как получить заказ',
  image_url: 'http://127.0.0.1:9000/static/images/abc/640x480',
};

describe('linkCardView', () => {
  it('shows the preview as the channel gave it', () => {
    expect(linkCardView(preview)).toEqual({
      href: 'https://www.avito.ru/help/delivery',
      image: 'http://127.0.0.1:9000/static/images/abc/640x480',
      title: 'Авито Доставка',
      description: 'Как получить заказ',
      domain: 'www.avito.ru',
    });
  });

  it('links and pictures only over http(s); the card still shows its text', () => {
    const v = linkCardView({ ...preview, url: 'javascript:alert(1)', image_url: 'data:image/svg+xml,<svg onload=alert(1)>' });
    expect(v).toMatchObject({ href: null, image: null, title: 'Авито Доставка', domain: 'www.avito.ru' });
    expect(linkCardView({ ...preview, image_url: '/api/v1/logout' })?.image).toBeNull();
  });

  it('the domain falls back to the link’s host', () => {
    expect(linkCardView({ ...preview, domain: null })?.domain).toBe('www.avito.ru');
    expect(linkCardView({ ...preview, domain: ' ', url: 'ftp://x.ru' })?.domain).toBeNull();
  });

  it('no card when the preview has nothing beyond the link', () => {
    expect(linkCardView(null)).toBeNull();
    expect(linkCardView(undefined)).toBeNull();
    expect(linkCardView({ url: preview.url, domain: 'www.avito.ru', title: ' ', description: null, image_url: null })).toBeNull();
    expect(linkCardView({ url: preview.url, image_url: preview.image_url })).toMatchObject({ title: null, description: null });
  });

  it('a long description is cut before it reaches the page', () => {
    const d = linkCardView({ ...preview, description: 'очень длинное описание '.repeat(40) })!.description!;
    expect(Array.from(d).length).toBeLessThanOrEqual(DESCRIPTION_CHARS);
    expect(d.endsWith('…')).toBe(true);
  });
});
