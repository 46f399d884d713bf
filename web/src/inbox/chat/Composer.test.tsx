import { describe, expect, it, vi, afterEach } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Composer } from './Composer';
import { loadDraft } from './drafts';
import type { Upload } from './uploads';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

describe('Composer', () => {
  const setup = (onSend = vi.fn().mockResolvedValue(undefined), online = true, uploads: Upload[] = []) => {
    const onAttach = vi.fn();
    const onRemoveUpload = vi.fn();
    render(
      <Composer
        conversationId={9}
        online={online}
        quickReplies={[{ id: 1, title: 'Привет', text: 'Здравствуйте, {customer_name}! {tracking}', shared: true, owner_id: null, created_at: '' }]}
        placeholderValues={{ customer_name: 'Мария' }}
        uploads={uploads}
        onAttach={onAttach}
        onRemoveUpload={onRemoveUpload}
        onSend={onSend}
      />,
    );
    return { onSend, onAttach, onRemoveUpload, input: screen.getByTestId('composer-input') as HTMLTextAreaElement };
  };

  it('Enter sends, Shift+Enter does not', async () => {
    const { onSend, input } = setup();
    fireEvent.change(input, { target: { value: 'Добрый день' } });
    fireEvent.keyDown(input, { key: 'Enter', shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(onSend).toHaveBeenCalledWith('Добрый день', []));
    await waitFor(() => expect(input.value).toBe(''));
  });

  it('keeps the text and shows the error when sending fails; the draft survives', async () => {
    const { input } = setup(vi.fn().mockRejectedValue(new Error('boom')));
    fireEvent.change(input, { target: { value: 'Важный ответ' } });
    expect(loadDraft(9)).toBe('Важный ответ');
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Не отправлено'));
    expect(input.value).toBe('Важный ответ');
  });

  it('offline: send is disabled and the text stays', () => {
    const { onSend, input } = setup(undefined, false);
    fireEvent.change(input, { target: { value: 'текст' } });
    expect((screen.getByTestId('composer-send') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    expect(input.value).toBe('текст');
  });

  it('a quick reply is inserted with placeholders filled and the unfilled one selected', async () => {
    const { input } = setup();
    fireEvent.click(screen.getByTestId('quick-replies-button'));
    fireEvent.keyDown(screen.getByTestId('quick-replies-search'), { key: 'Enter' });
    await waitFor(() => expect(input.value).toBe('Здравствуйте, Мария! {tracking}'));
    expect(input.value.slice(input.selectionStart, input.selectionEnd)).toBe('{tracking}');
    expect(screen.queryByTestId('quick-replies-panel')).toBeNull();
  });

  it('hands chosen files to the store and sends the uploaded ones; a file on its way holds the send', async () => {
    const image = { type: 'image' as const, url: '/api/v1/media/1', name: 'фото.png', mime: 'image/png', size: 10 };
    const going: Upload = { key: 'a', name: 'счёт.pdf', progress: 0.42, error: null, attachment: null };
    const done: Upload = { key: 'b', name: 'фото.png', progress: 1, error: null, attachment: image };
    const failed: Upload = { key: 'c', name: 'большой.mov', progress: 0, error: 'Файл слишком большой.', attachment: null };

    const first = setup(undefined, true, [going, done]);
    const file = new File(['x'], 'фото.png', { type: 'image/png' });
    fireEvent.change(screen.getByTestId('composer-file'), { target: { files: [file] } });
    expect(first.onAttach).toHaveBeenCalledWith([file]);
    expect(screen.getByText(/счёт\.pdf: 42%/)).toBeTruthy();
    expect((screen.getByTestId('composer-send') as HTMLButtonElement).disabled).toBe(true);
    cleanup();

    const { onSend, onRemoveUpload } = setup(undefined, true, [done, failed]);
    expect(screen.getByText(/Не удалось загрузить большой\.mov: Файл слишком большой\./)).toBeTruthy();
    fireEvent.click(screen.getAllByRole('button', { name: 'Убрать' })[1]!);
    expect(onRemoveUpload).toHaveBeenCalledWith('c');
    fireEvent.click(screen.getByTestId('composer-send'));
    await waitFor(() => expect(onSend).toHaveBeenCalledWith('', [image]));
  });
});
