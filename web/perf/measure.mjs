// Performance figures of the operator web app on a large inbox (not part of CI): 5,000
// conversations and one with 2,000 messages, seeded through the real inbound API of a real
// `frontline serve`, measured in Debian's Chromium. Run through scripts/web-perf.
//
//   node perf/measure.mjs --bin ../target/release/frontline [--profile release]
//
// (a) initial load: navigation start → login → first chat row painted;
// (b) chat list: scroll through ≥3,000 rows, a step per animation frame, frame intervals;
// (c) the 2,000-message chat: click → first message painted, then scroll to the top until all
//     2,000 are loaded, frame intervals and total time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { ADMIN, BIN, CHROMIUM, PROFILE, args, freePort, frameStats, http, sleep } from './common.mjs';

const CONVERSATIONS = Number(args.conversations ?? 5000);
const LONG_CHAT = Number(args.messages ?? 2000);
const CONCURRENCY = Number(args.concurrency ?? 16);

/** Runs `task(i)` for i in [0, n) with at most `limit` in flight. */
async function pool(n, limit, task) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) {
      const i = next++;
      await task(i);
    }
  });
  await Promise.all(workers);
}

const FIRST = ['Анна', 'Мария', 'Елена', 'Ольга', 'Наталья', 'Ирина', 'Светлана', 'Татьяна', 'Юлия', 'Дарья', 'Алексей', 'Дмитрий', 'Сергей', 'Андрей', 'Иван', 'Михаил', 'Павел', 'Николай', 'Артём', 'Роман'];
const LAST = ['Смирнов', 'Иванов', 'Кузнецов', 'Попов', 'Соколов', 'Лебедев', 'Козлов', 'Новиков', 'Морозов', 'Петров', 'Волков', 'Соловьёв', 'Васильев', 'Зайцев', 'Павлов', 'Семёнов', 'Голубев', 'Виноградов', 'Богданов', 'Воробьёв'];
const customerName = (i) => `${FIRST[i % 20]} ${LAST[Math.floor(i / 20) % 20]} №${i + 1}`;

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'frontline-perf-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = path.join(tmp, 'frontline.log');
  const log = fs.openSync(logFile, 'a');
  const server = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', `sqlite://${tmp}/perf.db`], {
    env: {
      // The server takes every FRONTLINE_* variable as configuration and refuses unknown keys.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FRONTLINE_BIN')),
      FRONTLINE_BOOTSTRAP_ADMIN: `${ADMIN.login}:${ADMIN.password}`,
      FRONTLINE_BOT__MODE: 'none',
      FRONTLINE_AVITO__ENABLED: 'false',
      FRONTLINE_LOG__LEVEL: 'warn',
    },
    stdio: ['ignore', log, log],
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
  process.on('exit', stop);
  process.on('SIGINT', () => process.exit(130));
  try {
    for (let i = 0; ; i++) {
      if (server.exitCode !== null) throw new Error(`frontline exited:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        /* not yet */
      }
      if (i > 300) throw new Error('frontline did not start within 30 s');
      await sleep(100);
    }

    const { token } = await http('POST', `${base}/api/v1/auth/login`, ADMIN);
    const created = await http('POST', `${base}/api/v1/accounts`, { kind: 'api', name: 'Сайт (нагрузка)', callback_url: 'http://127.0.0.1:9/hook' }, token);
    const accountId = created.account?.id ?? created.id;
    const inbound = created.inbound_token;
    if (!inbound) throw new Error(`no inbound token in ${JSON.stringify(created)}`);
    const send = (body) => http('POST', `${base}/api/v1/inbound/${accountId}/messages`, body, inbound);

    process.stdout.write(`seeding ${CONVERSATIONS} conversations (${CONCURRENCY} concurrent requests)… `);
    let t0 = performance.now();
    const t = Date.now() - 3 * 86400_000;
    await pool(CONVERSATIONS, CONCURRENCY, (i) =>
      send({
        external_chat_id: `perf-${i}`,
        external_message_id: `perf-${i}-1`,
        customer: { external_id: `u-${i}`, name: customerName(i) },
        text: `Здравствуйте! Вопрос по заказу ${100000 + i}: когда доставка?`,
        sent_at: new Date(t + i * 1000).toISOString(),
      }),
    );
    const seedConvMs = performance.now() - t0;
    console.log(`${(seedConvMs / 1000).toFixed(1)} s (${((CONVERSATIONS / seedConvMs) * 1000).toFixed(0)} req/s)`);

    process.stdout.write(`seeding one conversation with ${LONG_CHAT} messages… `);
    t0 = performance.now();
    const longName = 'Клиент с длинной историей';
    const start = Date.now() - 86400_000;
    // Messages of one chat go in order (8 in flight, with ascending timestamps).
    await pool(LONG_CHAT, 8, (i) =>
      send({
        external_chat_id: 'perf-long',
        external_message_id: `perf-long-${i}`,
        customer: { external_id: 'u-long', name: longName },
        text: `Сообщение ${i + 1} из ${LONG_CHAT}: ${i % 7 === 0 ? 'а ещё хотел уточнить про гарантию и сроки возврата, если товар не подойдёт по размеру' : 'уточню позже'}`,
        sent_at: new Date(start + i * 10_000).toISOString(),
      }),
    );
    const seedLongMs = performance.now() - t0;
    console.log(`${(seedLongMs / 1000).toFixed(1)} s`);
    const longConv = (await http('GET', `${base}/api/v1/conversations?limit=5`, undefined, token)).items.find((c) => c.customer.name === longName);
    if (!longConv) throw new Error('the long conversation is not the newest');

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.addInitScript(() => {
      window.__perf = { loginClick: null, firstRow: null, firstRowPaint: null };
      document.addEventListener(
        'click',
        (e) => {
          if (e.target instanceof Element && e.target.closest('[data-testid="login-submit"]')) window.__perf.loginClick = performance.now();
        },
        true,
      );
      new MutationObserver((_, obs) => {
        if (document.querySelector('[data-testid="chat-row"]')) {
          window.__perf.firstRow = performance.now();
          requestAnimationFrame(() => requestAnimationFrame(() => (window.__perf.firstRowPaint = performance.now())));
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });

    // (a) initial load
    await page.goto(`${base}/`);
    await page.getByTestId('login-input').fill(ADMIN.login);
    await page.getByTestId('password-input').fill(ADMIN.password);
    await page.getByTestId('login-submit').click();
    await page.waitForFunction(() => window.__perf.firstRowPaint !== null, undefined, { timeout: 60_000 });
    const load = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return { ...window.__perf, domContentLoaded: nav?.domContentLoadedEventEnd, loadEvent: nav?.loadEventEnd };
    });
    await page.getByTestId('tab-all').click();
    await page.waitForSelector('[data-testid="chat-row"]');

    // (b) chat list scroll: ≥3,000 distinct rows, one step per frame.
    const scroll = await page.evaluate(async (target) => {
      const list = document.querySelector('[data-testid="chat-list"]');
      const scroller = (() => {
        for (let el = list; el; el = el.parentElement) {
          const s = getComputedStyle(el);
          if (/(auto|scroll)/.test(s.overflowY) && el.scrollHeight > el.clientHeight) return el;
        }
        for (const el of list.querySelectorAll('*')) {
          const s = getComputedStyle(el);
          if (/(auto|scroll)/.test(s.overflowY) && el.scrollHeight > el.clientHeight) return el;
        }
        return null;
      })();
      if (!scroller) return { error: 'no scrollable chat list' };
      const rowH = document.querySelector('[data-testid="chat-row"]').getBoundingClientRect().height || 72;
      const seen = new Set();
      const intervals = [];
      const t0 = performance.now();
      let last = t0;
      let stuckFrames = 0;
      await new Promise((done) => {
        const frame = (now) => {
          intervals.push(now - last);
          last = now;
          for (const r of document.querySelectorAll('[data-testid="chat-row"]')) seen.add(r.getAttribute('data-conversation-id'));
          const before = scroller.scrollTop;
          scroller.scrollTop = before + rowH * 3;
          stuckFrames = scroller.scrollTop === before ? stuckFrames + 1 : 0;
          // At the bottom the list may be loading the next page; give it up to ~10 s.
          if (seen.size >= target || stuckFrames > 600 || now - t0 > 180_000) return done();
          requestAnimationFrame(frame);
        };
        requestAnimationFrame((now) => {
          last = now;
          requestAnimationFrame(frame);
        });
      });
      return { rows: seen.size, ms: performance.now() - t0, intervals: intervals.slice(1), domRows: document.querySelectorAll('[data-testid="chat-row"]').length };
    }, 3000);

    // (c) open the long chat and load its whole history.
    await page.evaluate(() => {
      const list = document.querySelector('[data-testid="chat-list"]');
      for (let el = list; el; el = el.parentElement) el.scrollTop = 0;
    });
    await page.waitForSelector(`[data-testid="chat-row"][data-conversation-id="${longConv.id}"]`);
    const open = await page.evaluate(async (id) => {
      const row = document.querySelector(`[data-testid="chat-row"][data-conversation-id="${id}"]`);
      const t0 = performance.now();
      const painted = new Promise((resolve) => {
        const check = () => {
          const win = document.querySelector(`[data-testid="chat-window"][data-conversation-id="${id}"]`);
          if (win && win.querySelector('[data-testid="message"]')) {
            const seen = performance.now();
            requestAnimationFrame(() => requestAnimationFrame(() => resolve({ inDom: seen - t0, painted: performance.now() - t0 })));
            return true;
          }
          return false;
        };
        const obs = new MutationObserver(() => check() && obs.disconnect());
        obs.observe(document.body, { childList: true, subtree: true, attributes: true });
      });
      row.click();
      return painted;
    }, longConv.id);

    const history = await page.evaluate(async (total) => {
      const list = document.querySelector('[data-testid="message-list"]');
      const scroller = (() => {
        for (let el = list; el; el = el.parentElement) {
          const s = getComputedStyle(el);
          if (/(auto|scroll)/.test(s.overflowY)) return el;
        }
        for (const el of list.querySelectorAll('*')) {
          const s = getComputedStyle(el);
          if (/(auto|scroll)/.test(s.overflowY)) return el;
        }
        return list;
      })();
      const seen = new Set();
      const intervals = [];
      const t0 = performance.now();
      let last = t0;
      await new Promise((done) => {
        const frame = (now) => {
          intervals.push(now - last);
          last = now;
          for (const m of list.querySelectorAll('[data-testid="message"]')) seen.add(m.getAttribute('data-message-id'));
          scroller.scrollTop = 0;
          if (seen.size >= total || now - t0 > 180_000) return done();
          requestAnimationFrame(frame);
        };
        requestAnimationFrame((now) => {
          last = now;
          requestAnimationFrame(frame);
        });
      });
      return { messages: seen.size, ms: performance.now() - t0, intervals: intervals.slice(1), domMessages: list.querySelectorAll('[data-testid="message"]').length };
    }, LONG_CHAT);
    const version = browser.version();
    await browser.close();

    const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : String(x));
    const row = (k, v) => console.log(`  ${k.padEnd(52)} ${v}`);
    console.log('\nfrontline web app: performance on a large inbox');
    row('machine', `${os.cpus().length} cores (${os.cpus()[0]?.model?.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`);
    row('chromium', `${version} (headless, --disable-gpu)`);
    row('server build profile', `${PROFILE} (${BIN})`);
    row('data', `${CONVERSATIONS} conversations + 1 with ${LONG_CHAT} messages; bot off; SQLite`);
    row('seeding', `${(seedConvMs / 1000).toFixed(1)} s for the conversations, ${(seedLongMs / 1000).toFixed(1)} s for the long chat`);
    console.log('\n(a) initial load (ms since navigation start)');
    row('DOMContentLoaded', f(load.domContentLoaded));
    row('login submitted', f(load.loginClick));
    row('first chat row in the DOM', f(load.firstRow));
    row('first chat row painted', f(load.firstRowPaint));
    row('login click → first row painted', f(load.firstRowPaint - load.loginClick));
    console.log('\n(b) chat list scroll, 3 rows per frame');
    if (scroll.error) row('error', scroll.error);
    else {
      const s = frameStats(scroll.intervals, 50);
      row('distinct rows scrolled through', `${scroll.rows} in ${(scroll.ms / 1000).toFixed(1)} s (rows in the DOM at the end: ${scroll.domRows})`);
      row('frame time p50 / p95 / p99 / max (ms)', `${f(s.p50)} / ${f(s.p95)} / ${f(s.p99)} / ${f(s.max)}`);
      row('frames / frames over 50 ms', `${s.frames} / ${s.slow}`);
    }
    console.log(`\n(c) the ${LONG_CHAT}-message chat`);
    row('click → first message in the DOM', f(open.inDom));
    row('click → first message painted', f(open.painted));
    const h = frameStats(history.intervals, 50);
    row('messages loaded by scrolling to the top', `${history.messages} of ${LONG_CHAT} in ${(history.ms / 1000).toFixed(1)} s (in the DOM at the end: ${history.domMessages})`);
    row('frame time p50 / p95 / p99 / max (ms)', `${f(h.p50)} / ${f(h.p95)} / ${f(h.p99)} / ${f(h.max)}`);
    row('frames / frames over 50 ms', `${h.frames} / ${h.slow}`);
    if (scroll.rows < 3000 || history.messages < LONG_CHAT) process.exitCode = 1;
  } finally {
    stop();
    await sleep(300);
    if (!args.keep) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
