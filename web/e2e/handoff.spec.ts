// A customer asks for a person: the conversation moves from «Бот» to «Мои» live, the operator is
// alerted (sound always, a system notification when the tab is hidden), and the chat shows the
// bot's briefing.
import { alerts, expectSameDocument, login, markDocument, messages, openTab, row, setHidden, shot } from './support/browser';
import { botChat, expect, test } from './support/fixtures';

test('handoff moves the row to «Мои» live, alerts the operator and shows the briefing', async ({ page, state, api, sim }) => {
  const chat = await botChat(api, sim, { first: 'Светлана' });
  await login(page, state.server.url, state.admin);
  await openTab(page, 'bot');
  const r = row(page, chat.conversation.id);
  await expect(r).toBeVisible();
  await markDocument(page);

  // The operator switched to another browser tab.
  await setHidden(page, true);
  const playsBefore = (await alerts(page)).plays.length;
  await sim.customerWrites(1001, chat.customer.id, chat.customer.name, 700_001, 'Позовите оператора, пожалуйста, хочу поговорить с человеком');

  await expect(r).toHaveCount(0, { timeout: 15_000 });
  await expect
    .poll(async () => (await alerts(page)).plays.length, { message: 'HTMLMediaElement.play() on the handoff' })
    .toBeGreaterThan(playsBefore);
  const { plays } = await alerts(page);
  const play = plays[plays.length - 1];
  expect(play.src).toMatch(/\/notify\.wav$/);
  expect(play.volume).toBeCloseTo(0.7, 5);
  await expect
    .poll(async () => (await alerts(page)).notifications.length, { message: 'a Notification while the tab is hidden' })
    .toBeGreaterThan(0);
  const n = (await alerts(page)).notifications.at(-1)!;
  expect(n.title.trim().length).toBeGreaterThan(0);
  await setHidden(page, false);

  await openTab(page, 'mine');
  const mine = row(page, chat.conversation.id);
  await expect(mine).toBeVisible();
  await expect(mine).toHaveAttribute('data-lead', 'operator');
  await expectSameDocument(page);
  await expect(mine.getByTestId('chat-row-status')).not.toHaveText('Бот');

  await mine.click();
  await expect(page.getByTestId('chat-window')).toHaveAttribute('data-conversation-id', String(chat.conversation.id));
  await expect(page.getByTestId('lead-label')).toHaveText('Ведёт диалог: Оператор');
  await expect(page.getByTestId('lead-toggle')).toHaveText('Передать боту');
  const briefing = page.getByTestId('handoff-briefing');
  await expect(briefing).toBeVisible();
  const detail = await api.get<{ briefing: { briefing: string | null } | null }>(`/conversations/${chat.conversation.id}`);
  const text = detail.briefing?.briefing ?? '';
  expect(text.length, 'the server has a briefing for this handoff').toBeGreaterThan(0);
  // The first line of the server's briefing is what the operator reads.
  await expect(briefing).toContainText(text.split('\n')[0].trim().slice(0, 40));
  await expect(page.getByTestId('system-event').first()).toBeVisible();
  await expect(messages(page).filter({ hasText: 'Позовите оператора' })).toHaveCount(1);
  await shot(page, 'desktop-03-mine-handed-over-with-briefing');
});

test('with the sound off (kept on the server) a handoff plays nothing', async ({ page, state, api, sim }) => {
  await api.put('/me/preferences', { hidden_account_ids: [], sound: true, language: null });
  try {
    const chat = await botChat(api, sim, { first: 'Любовь' });
    await login(page, state.server.url, state.admin);
    const toggle = page.getByTestId('sound-toggle');
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await expect.poll(async () => (await api.get<{ sound: boolean }>('/me/preferences')).sound).toBe(false);

    await openTab(page, 'mine');
    const playsBefore = (await alerts(page)).plays.length;
    await sim.customerWrites(1001, chat.customer.id, chat.customer.name, 700_001, 'Позовите оператора');
    await expect(row(page, chat.conversation.id)).toBeVisible();
    // The handoff has reached the app (the row is in «Мои»); no sound was played for it.
    expect((await alerts(page)).plays.length).toBe(playsBefore);

    await page.reload();
    await expect(page.getByTestId('sound-toggle')).toHaveAttribute('aria-pressed', 'false');
    await page.getByTestId('sound-toggle').click();
    await expect(page.getByTestId('sound-toggle')).toHaveAttribute('aria-pressed', 'true');
    await expect.poll(async () => (await api.get<{ sound: boolean }>('/me/preferences')).sound).toBe(true);
  } finally {
    await api.put('/me/preferences', { hidden_account_ids: [], sound: true, language: null });
  }
});
