// «Быстрые ответы»: a shared reply written with placeholders is previewed as the composer will
// fill it, and the ⚡ panel of a real chat then inserts exactly that, with the chat's own values.
import { login, openChat, openTab, shot } from './support/browser';
import { expect, orderChat, test } from './support/fixtures';

test('a quick reply is previewed live, then offered in a chat with its placeholders filled; edit and delete', async ({ page, state, api, sim }) => {
  const base = state.server.url;
  const order = '559021';
  const chat = await orderChat(api, sim, order, 'Зинаида');
  const title = `Трек ${Date.now() % 100_000}`;
  let createdId: number | undefined;
  try {
    await login(page, base, state.admin);
    await page.goto(`${base}/admin/quick-replies`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Быстрые ответы');
    const shared = page.getByTestId('qr-list-shared');
    for (const q of state.quickReplies) await expect(shared.locator('[data-testid="qr-item"]', { hasText: q.title })).toHaveCount(1);

    const editor = page.getByTestId('qr-editor').first();
    await editor.getByTestId('qr-save').click();
    await expect(editor.locator('[data-testid="field-error"]')).toHaveCount(2);

    await editor.getByTestId('qr-title').fill(title);
    const text = editor.getByTestId('qr-text');
    await text.fill('Здравствуйте, ! Заказ {order_number} в пути, трек {trek}. {operator_name}');
    // The caret after «Здравствуйте, », then the placeholder from the list.
    await text.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(14, 14));
    await editor.locator('[data-testid="qr-placeholder"][data-key="customer_name"]').click();
    await expect(text).toHaveValue('Здравствуйте, {customer_name}! Заказ {order_number} в пути, трек {trek}. {operator_name}');
    const preview = editor.getByTestId('qr-preview-text');
    await expect(preview).toHaveText(`Здравствуйте, Мария Иванова! Заказ 7157703 в пути, трек {trek}. ${state.admin.name}`);
    await expect(preview.getByTestId('qr-unfilled')).toHaveText(['{trek}']);
    await expect(editor.locator('[data-testid="field"][data-field="text"]')).toContainText('{trek} — такого поля мессенджер не знает');
    await shot(page, 'desktop-54-admin-quick-replies-preview');

    await text.fill('Здравствуйте, {customer_name}! Заказ {order_number} в пути. {operator_name}');
    await expect(preview.getByTestId('qr-unfilled')).toHaveCount(0);
    await editor.getByTestId('qr-save').click();
    const item = shared.locator('[data-testid="qr-item"]', { hasText: title });
    await expect(item).toHaveCount(1);
    createdId = Number(await item.getAttribute('data-id'));
    await expect(editor.getByTestId('qr-title')).toHaveValue('');
    const stored = (await api.get<{ id: number; text: string; shared: boolean }[]>('/quick-replies')).find((q) => q.id === createdId);
    expect(stored).toMatchObject({ shared: true, text: 'Здравствуйте, {customer_name}! Заказ {order_number} в пути. {operator_name}' });

    // In a real chat the ⚡ panel inserts what the preview showed, with this chat's values.
    await page.goto(`${base}/inbox/mine`);
    await openTab(page, 'mine');
    await openChat(page, chat.conversation.id);
    await page.getByTestId('quick-replies-button').click();
    await page.getByTestId('quick-replies-search').fill(title);
    await page.getByTestId('quick-reply-item').click();
    await expect(page.getByTestId('composer-input')).toHaveValue(`Здравствуйте, ${chat.customer.name}! Заказ ${order} в пути. ${state.admin.name}`);
    await page.getByTestId('composer-input').fill('');

    // Edited, then deleted after the confirm.
    await page.goto(`${base}/admin/quick-replies`);
    await item.getByTestId('qr-edit').click();
    const edit = page.locator(`[data-testid="qr-editor"][data-editing="${createdId}"]`);
    await edit.getByTestId('qr-text').fill('До свидания, {customer_name}!');
    await expect(edit.getByTestId('qr-preview-text')).toHaveText('До свидания, Мария Иванова!');
    await edit.getByTestId('qr-save').click();
    await expect(item).toContainText('До свидания, {customer_name}!');
    await item.getByTestId('qr-delete').click();
    await item.getByTestId('qr-delete-yes').click();
    await expect(item).toHaveCount(0);
    expect((await api.get<{ id: number }[]>('/quick-replies')).map((q) => q.id)).not.toContain(createdId);
    createdId = undefined;
  } finally {
    // The quick-replies spec counts the shared replies global-setup made: leave none behind.
    if (createdId !== undefined) await api.req('DELETE', `/quick-replies/${createdId}`).catch(() => undefined);
  }
});
