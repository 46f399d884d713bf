// Sending a picture through the composer, and switching the interface language (kept on the server).
import zlib from 'node:zlib';
import { login, messages, openChat, openTab } from './support/browser';
import { expect, handedOverChat, test } from './support/fixtures';

/** A real 16×16 PNG (solid colour), built here so the test needs no binary fixture. */
function png(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const w = 16;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(w, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const raw = Buffer.concat(Array.from({ length: w }, () => Buffer.concat([Buffer.from([0]), Buffer.from(Array(w).fill([30, 144, 255]).flat())])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('a picture attached in the composer reaches Avito as an image and shows in the chat', async ({ page, state, api, sim }) => {
  const chat = await handedOverChat(api, sim, { first: 'Зинаида' });
  await login(page, state.server.url, state.admin);
  await openTab(page, 'mine');
  await openChat(page, chat.conversation.id);

  const sentBefore = (await sim.sentByApp(chat.account)).filter((m) => m.chat_id === chat.chatId).length;
  await expect(page.getByTestId('composer-attach')).toBeVisible();
  await page.getByTestId('composer-file').setInputFiles({ name: 'foto-dostavki.png', mimeType: 'image/png', buffer: png() });
  // Uploaded: the chip shows the file name without a percentage.
  await expect(page.getByText('foto-dostavki.png').first()).toBeVisible();
  await expect(page.getByText(/foto-dostavki\.png.*%/)).toHaveCount(0);
  await page.getByTestId('composer-send').click();

  await expect
    .poll(async () => (await sim.sentByApp(chat.account)).filter((m) => m.chat_id === chat.chatId && m.type === 'image').length)
    .toBe(1);
  expect((await sim.sentByApp(chat.account)).filter((m) => m.chat_id === chat.chatId).length).toBeGreaterThan(sentBefore);
  const withImage = messages(page).and(page.locator('[data-author="operator"]')).filter({ has: page.locator('img') });
  await expect(withImage).toHaveCount(1);
  await expect(withImage).toHaveAttribute('data-status', /^(sent|delivered|read)$/, { timeout: 15_000 });
  await expect
    .poll(() => withImage.locator('img').first().evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth === 16))
    .toBe(true);
});

test('the language switch turns the interface English and the choice is kept for the operator', async ({ page, state, api }) => {
  await api.put('/me/preferences', { hidden_account_ids: [], sound: true, language: null });
  try {
    await login(page, state.server.url, state.admin);
    await expect(page.getByTestId('search-input')).toHaveAttribute('placeholder', 'Поиск или новый чат');
    await expect(page.getByTestId('tab-bot')).toContainText('Бот');
    await page.getByTestId('language-switch').click();
    await expect(page.getByTestId('tab-bot')).not.toContainText('Бот');
    await expect(page.getByTestId('search-input')).not.toHaveAttribute('placeholder', 'Поиск или новый чат');
    await expect.poll(async () => (await api.get<{ language: string | null }>('/me/preferences')).language).toBe('en');
    await page.reload();
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
    await expect(page.getByTestId('tab-bot')).not.toContainText('Бот');
    await page.getByTestId('language-switch').click();
    await expect(page.getByTestId('tab-bot')).toContainText('Бот');
    await expect.poll(async () => (await api.get<{ language: string | null }>('/me/preferences')).language).toBe('ru');
  } finally {
    await api.put('/me/preferences', { hidden_account_ids: [], sound: true, language: null });
  }
});
