import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import i18n from '../../shared/i18n';
import { formatClock } from '../../shared/format/time';
import { msg } from '../../shared/test/fixtures';
import { QuotedReply } from './QuotedReply';
import { quoteView } from './quotes';

afterEach(cleanup);

const t = i18n.getFixedT('ru');
const people = { meId: 7, meName: 'Анна', assigneeId: 7, assigneeName: 'Анна' };
const answered = msg(12, { text: 'Да, продаётся', external_id: 'av-2' });
const quote = { external_id: 'av-2', direction: 'out' as const, text: 'Да, продаётся' };

describe('QuotedReply', () => {
  it('a loaded quoted message: author, time and text, and a click asks to show it', () => {
    const onShow = vi.fn();
    render(<QuotedReply view={quoteView(quote, answered, people, 'Ольга', t)} onShow={onShow} />);
    const q = screen.getByTestId('message-quote');
    expect(q.tagName).toBe('BUTTON');
    expect(q.getAttribute('data-quote-target')).toBe('12');
    expect(screen.getByTestId('quote-author').textContent).toBe('Анна');
    expect(q.textContent).toContain(formatClock(answered.created_at));
    expect(screen.getByTestId('quote-text').textContent).toBe('Да, продаётся');
    fireEvent.click(q);
    expect(onShow).toHaveBeenCalledWith(12);
  });

  it('a quoted message not loaded only shows, named by its side', () => {
    const onShow = vi.fn();
    render(<QuotedReply view={quoteView(quote, undefined, people, 'Ольга', t)} onShow={onShow} />);
    const q = screen.getByTestId('message-quote');
    expect(q.tagName).toBe('DIV');
    expect(q.querySelector('button')).toBeNull();
    expect(screen.getByTestId('quote-author').textContent).toBe('Продавец');
    expect(q.querySelector('.quote-time')).toBeNull();
    fireEvent.click(q);
    expect(onShow).not.toHaveBeenCalled();
  });
});
