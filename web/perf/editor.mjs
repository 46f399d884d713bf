// Performance of the workflow studio on a large graph (not part of CI): a 300-node, 400-edge
// workflow saved through the real API of a real `frontline serve`, opened in Debian's Chromium.
// Run through scripts/web-perf-editor.
//
//   node perf/editor.mjs --bin ../target/release/frontline [--nodes 300 --edges 400]
//
// (a) open: navigation to the studio's URL → every node in view drawn (two frames after the last
//     one appears), and the document's load and parse;
// (b) pan: the canvas dragged across for ~4 s, a mouse step per animation frame, frame intervals;
// (c) drag: one node dragged around for ~4 s the same way, frame intervals;
// (d) zoomed out to the whole graph (all 300 nodes drawn), panned again.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { ADMIN, BIN, CHROMIUM, PROFILE, args, freePort, frameStats, http, sleep } from './common.mjs';

const NODES = Number(args.nodes ?? 300);
const EDGES = Number(args.edges ?? 400);

/** A deterministic big workflow: a DAG of every node type, outputs wired forwards until `edges`. */
export function bigWorkflow(nodes, edges) {
  const kinds = [
    ['condition', { expression: 'hour >= 9' }, ['true', 'false']],
    ['search', { category: 'delivery', top_k: 3, min_confidence: 0.3, into: 'search' }, ['found', 'not_found']],
    ['confidence', { threshold: 0.7 }, ['high', 'low']],
    ['ai_response', { system_prompt: 'Ответь кратко', temperature: 0.3, max_tokens: 400, grounded: false, search_var: 'search' }, ['out', 'error']],
    ['message', { text: 'Здравствуйте! Чем помочь?' }, ['out']],
    ['action', { method: 'GET', url: 'https://shop.invalid/orders/{slots.order_number}', timeout_ms: 3000, map: { status: '/status' } }, ['ok', 'error', 'timeout']],
    ['context', { set: { greeting: 'Здравствуйте' } }, ['out']],
    ['handoff', { reason: 'topic_policy' }, []],
    ['end', {}, []],
  ];
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const list = [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {}, outs: ['out'] }];
  for (let i = 1; i < nodes; i++) {
    const [type, data, outs] = kinds[i % kinds.length];
    const col = Math.floor(i / 12);
    list.push({ id: `${type}_${i}`, type, position: { x: col * 300, y: (i % 12) * 140 }, data, outs });
  }
  const out = [];
  const used = new Set();
  // First a chain so everything is reachable, then random forward edges from free outputs.
  for (let i = 1; i < list.length && out.length < edges; i++) {
    const from = [...list.slice(0, i)].reverse().find((n) => n.outs.some((h) => !used.has(`${n.id}:${h}`)));
    if (!from) break;
    const h = from.outs.find((x) => !used.has(`${from.id}:${x}`));
    used.add(`${from.id}:${h}`);
    out.push({ id: `e_${out.length + 1}`, source: from.id, sourceHandle: h, target: list[i].id });
  }
  for (let guard = 0; out.length < edges && guard < edges * 50; guard++) {
    const a = Math.floor(rand() * (list.length - 1));
    const from = list[a];
    const h = from.outs.find((x) => !used.has(`${from.id}:${x}`));
    if (!h) continue;
    const b = a + 1 + Math.floor(rand() * Math.min(30, list.length - a - 1));
    used.add(`${from.id}:${h}`);
    out.push({ id: `e_${out.length + 1}`, source: from.id, sourceHandle: h, target: list[b].id });
  }
  return { version: 1, nodes: list.map(({ outs, ...n }) => n), edges: out };
}

/**
 * Frame intervals while `action` runs. `moved` is a selector whose element must move (its style
 * changes) during the action, or the gesture did not do what it is measured for, and the run fails;
 * so does an error thrown in the page. The page's state lives under one name of its own: d3 (inside
 * React Flow) keeps its listeners in `element.__on`, `window` included, so a `window.__on` flag made
 * every pan and drag throw (`on.push is not a function`) and measured an idle canvas.
 */
async function frames(page, action, moved) {
  const errors = [];
  const onError = (e) => errors.push(String(e));
  page.on('pageerror', onError);
  await page.evaluate((sel) => {
    const st = { on: true, last: performance.now(), list: [], moves: 0 };
    window.__frontlinePerf = st;
    const el = document.querySelector(sel);
    st.observer = new MutationObserver(() => st.moves++);
    if (el) st.observer.observe(el, { attributes: true, attributeFilter: ['style'] });
    const tick = (t) => {
      if (!st.on) return;
      st.list.push(t - st.last);
      st.last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, moved);
  await action();
  const { list, moves } = await page.evaluate(() => {
    const st = window.__frontlinePerf;
    st.on = false;
    st.observer.disconnect();
    return { list: st.list.slice(1), moves: st.moves };
  });
  page.off('pageerror', onError);
  if (errors.length) throw new Error(`the page threw during the gesture: ${errors[0]}`);
  if (!moves) throw new Error(`the gesture did not move ${moved}`);
  return list;
}

/**
 * The first point of the pane (the canvas's background) at (x, y) or to its right: a pan must start
 * on it, not on a node or on the zoom buttons (the bottom-left corner, where a press clicked «fit
 * view» and the pan measured an idle canvas).
 */
async function onPane(page, x, y) {
  const px = await page.evaluate(
    ([x, y]) => {
      for (let dx = 0; dx < 400; dx += 4) if (document.elementFromPoint(x + dx, y)?.classList.contains('react-flow__pane')) return x + dx;
      return null;
    },
    [x, y],
  );
  if (px === null) throw new Error(`no pane to the right of (${x}, ${y})`);
  return { x: px, y };
}

/** Mouse drag from (x, y) along a circle of radius r for `ms`, one step per frame. */
async function circle(page, x, y, r, ms) {
  await page.mouse.move(x, y);
  await page.mouse.down();
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const a = ((Date.now() - t0) / 1000) * Math.PI;
    await page.mouse.move(x + r * Math.sin(a), y + r * (1 - Math.cos(a)));
    await page.evaluate(() => new Promise((res) => requestAnimationFrame(() => res())));
  }
  await page.mouse.up();
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'frontline-perf-editor-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = path.join(tmp, 'frontline.log');
  const log = fs.openSync(logFile, 'a');
  const server = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', `sqlite://${tmp}/perf.db`], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FRONTLINE_BIN')),
      FRONTLINE_BOOTSTRAP_ADMIN: `${ADMIN.login}:${ADMIN.password}`,
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
  const doc = bigWorkflow(NODES, EDGES);
  const w = await http('POST', `${base}/api/v1/workflows`, { name: `Большой сценарий (${NODES} узлов)`, document: doc }, token);
  const bytes = JSON.stringify(doc).length;
  console.log(`server: ${PROFILE}; workflow ${w.id}: ${doc.nodes.length} nodes, ${doc.edges.length} edges, ${(bytes / 1024).toFixed(0)} KiB, ${w.problems.length} problems reported`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${base}/`);
  await page.getByTestId('login-input').fill(ADMIN.login);
  await page.getByTestId('password-input').fill(ADMIN.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('tab-bot').waitFor();

  // (a) open, three times (the first one includes loading the editor's code).
  const opens = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${base}/inbox/bot`);
    await page.getByTestId('tab-bot').waitFor();
    const t0 = Date.now();
    await page.evaluate((url) => {
      window.__open = performance.now();
      history.pushState({}, '', url);
      dispatchEvent(new PopStateEvent('popstate'));
    }, `/admin/workflows/${w.id}`);
    const ms = await page.evaluate(
      () =>
        new Promise((resolve) => {
          let seen = 0;
          let stable = 0;
          const check = () => {
            const n = document.querySelectorAll('.react-flow__node').length;
            const edges = document.querySelectorAll('.react-flow__edge').length;
            if (n > 0 && edges > 0 && n === seen) stable++;
            else stable = 0;
            seen = n;
            if (stable >= 2) resolve(performance.now() - window.__open);
            else requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        }),
    );
    opens.push({ ms, wall: Date.now() - t0, drawn: await page.locator('.react-flow__node').count() });
  }

  const canvas = (await page.getByTestId('wf-canvas').boundingBox());
  const cx = canvas.x + canvas.width / 2;
  const cy = canvas.y + canvas.height / 2;
  // (b) pan on the background (between rows of nodes, on the pane).
  const panAt = await onPane(page, canvas.x + 40, canvas.y + canvas.height - 40);
  const pan = frameStats(await frames(page, () => circle(page, panAt.x, panAt.y, 120, 4000), '.react-flow__viewport'), 20);
  // (c) drag one node, pressed 40 px into its head, or at its middle when the view is zoomed out so
  // far that 40 px would be past it (on the pane, which would pan instead).
  const target = page.locator('.react-flow__node').nth(3);
  const targetId = await target.getAttribute('data-id');
  const box = await target.boundingBox();
  const grip = { x: box.x + Math.min(40, box.width / 2), y: box.y + Math.min(12, box.height / 2) };
  const drag = frameStats(await frames(page, () => circle(page, grip.x, grip.y, 100, 4000), `.react-flow__node[data-id="${targetId}"]`), 20);
  // (d) everything in view.
  await page.locator('.react-flow__controls-fitview').click();
  await sleep(800);
  const drawnAll = await page.locator('.react-flow__node').count();
  const panAllAt = await onPane(page, cx, canvas.y + 20);
  const panAll = frameStats(await frames(page, () => circle(page, panAllAt.x, panAllAt.y, 80, 4000), '.react-flow__viewport'), 20);
  await browser.close();

  const fmt = (s) => `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms, ${s.slow}/${s.frames} frames over 20 ms`;
  console.log(`open (navigation → graph drawn): ${opens.map((o) => `${o.ms.toFixed(0)} ms`).join(', ')} (${opens[0].drawn} nodes in view)`);
  console.log(`pan:               ${fmt(pan)}`);
  console.log(`drag a node:       ${fmt(drag)}`);
  console.log(`pan, all ${drawnAll} drawn: ${fmt(panAll)}`);
  const best = Math.min(...opens.slice(1).map((o) => o.ms));
  const ok = best < 1500 && pan.p95 < 20 && drag.p95 < 20;
  console.log(`target (open < 1.5 s, p95 frame < 20 ms): ${ok ? 'met' : 'NOT met'}`);
  stop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
