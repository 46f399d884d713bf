// Browser-side helpers: observing sound and notifications through the real browser APIs (an init
// script, never a hook in the product), logging in through the form, screenshots for CI.
import fs from 'node:fs';
import path from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { SCREENSHOTS } from './paths';

export interface Alerts {
  plays: { src: string; volume: number; at: number }[];
  notifications: { title: string; body?: string; tag?: string; at: number }[];
}

/**
 * Installed before any page script runs: counts `HTMLMediaElement.play()` calls (with the element's
 * src and volume, then calls the real `play`), replaces `Notification` with a recorder whose
 * permission is granted, and lets a test mark the tab hidden (`visibilityState`/`hidden` getters and
 * a `visibilitychange` event), since a headless tab is always "visible".
 */
export async function observeAlerts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __alerts: Alerts; __hidden: boolean };
    w.__alerts = { plays: [], notifications: [] };
    w.__hidden = false;
    const realPlay = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
      w.__alerts.plays.push({ src: this.currentSrc || this.src, volume: this.volume, at: Date.now() });
      return realPlay.call(this);
    };
    class RecordingNotification extends EventTarget {
      static permission: NotificationPermission = 'granted';
      static requestPermission(cb?: (p: NotificationPermission) => void): Promise<NotificationPermission> {
        cb?.('granted');
        return Promise.resolve('granted');
      }
      static get maxActions() {
        return 2;
      }
      title: string;
      body: string;
      tag: string;
      onclick: ((e: Event) => void) | null = null;
      onclose: ((e: Event) => void) | null = null;
      onerror: ((e: Event) => void) | null = null;
      onshow: ((e: Event) => void) | null = null;
      constructor(title: string, options: NotificationOptions = {}) {
        super();
        this.title = title;
        this.body = options.body ?? '';
        this.tag = options.tag ?? '';
        w.__alerts.notifications.push({ title, body: options.body, tag: options.tag, at: Date.now() });
      }
      close() {}
    }
    Object.defineProperty(window, 'Notification', { value: RecordingNotification, configurable: true, writable: true });
    Object.defineProperty(Document.prototype, 'visibilityState', {
      configurable: true,
      get: () => (w.__hidden ? 'hidden' : 'visible'),
    });
    Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => w.__hidden });
  });
}

export async function alerts(page: Page): Promise<Alerts> {
  return page.evaluate(() => (window as unknown as { __alerts: Alerts }).__alerts);
}

/** Marks the tab hidden or visible and tells the page, as switching browser tabs would. */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    (window as unknown as { __hidden: boolean }).__hidden = h;
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event(h ? 'blur' : 'focus'));
  }, hidden);
}

/** Logs in through the form and waits for the inbox with a live connection. */
export async function login(page: Page, base: string, user: { login: string; password: string }): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByTestId('login-input').fill(user.login);
  await page.getByTestId('password-input').fill(user.password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('tab-bot')).toBeVisible();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
}

export async function openTab(page: Page, tab: 'bot' | 'mine' | 'all'): Promise<void> {
  const t = page.getByTestId(`tab-${tab}`);
  await t.click();
  await expect(t).toHaveAttribute('aria-selected', 'true');
}

/** The row of a conversation in the list. */
export function row(page: Page, conversationId: number): Locator {
  return page.getByTestId('chat-list').locator(`[data-testid="chat-row"][data-conversation-id="${conversationId}"]`);
}

export function messages(page: Page): Locator {
  return page.getByTestId('message-list').getByTestId('message');
}

/** Opens the conversation from the list and waits for its window. */
export async function openChat(page: Page, conversationId: number): Promise<void> {
  await row(page, conversationId).click();
  await expect(page.getByTestId('chat-window')).toHaveAttribute('data-conversation-id', String(conversationId));
}

/** A full-page PNG for the CI artifacts, `target/web-e2e/screenshots/<name>.png`. */
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // Let images (avatars, listing photos) finish so the artifact shows the real screen.
  await page
    .waitForFunction(() => Array.from(document.images).every((i) => i.complete), undefined, { timeout: 5_000 })
    .catch(() => undefined);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Marks the current document; `expectSameDocument` then proves that no reload or navigation happened. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}

export async function expectSameDocument(page: Page): Promise<void> {
  expect(
    await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true),
    'the page was not reloaded (the change arrived live)',
  ).toBe(true);
}
