import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { LinkCard } from './LinkCard';
import { linkCardView } from './linkPreviews';

afterEach(cleanup);

const preview = {
  url: 'https://www.avito.ru/help/delivery',
  domain: 'www.avito.ru',
  title: 'Авито Доставка',
  description: 'Как получить заказ',
  image_url: 'http://127.0.0.1:9000/static/images/abc/640x480',
};

describe('LinkCard', () => {
  it('the whole card is the link, opened in a new tab without opener or referrer', () => {
    render(<LinkCard view={linkCardView(preview)!} />);
    const card = screen.getByTestId('link-card');
    expect(card.tagName).toBe('A');
    expect(card.getAttribute('href')).toBe('https://www.avito.ru/help/delivery');
    expect(card.getAttribute('target')).toBe('_blank');
    expect(card.getAttribute('rel')).toBe('noopener noreferrer');
    const img = screen.getByTestId('link-card-image');
    expect(img.getAttribute('src')).toBe(preview.image_url);
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(screen.getByTestId('link-card-title').textContent).toBe('Авито Доставка');
    expect(screen.getByTestId('link-card-description').textContent).toBe('Как получить заказ');
    expect(screen.getByTestId('link-card-domain').textContent).toBe('www.avito.ru');
  });

  it('a link that is not http(s) is not a link, and its picture is not loaded', () => {
    render(<LinkCard view={linkCardView({ ...preview, url: 'javascript:alert(1)', image_url: 'javascript:alert(2)' })!} />);
    const card = screen.getByTestId('link-card');
    expect(card.tagName).toBe('DIV');
    expect(card.querySelector('a, img')).toBeNull();
    expect(card.innerHTML).not.toContain('javascript:');
    expect(screen.getByTestId('link-card-title').textContent).toBe('Авито Доставка');
  });
});
